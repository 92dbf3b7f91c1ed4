"""Helpers for enforcer-channel tests: join tokens, enrollment through the real binary, and
mutual-TLS clients built from what it stored."""
import json
import ssl
import subprocess
from pathlib import Path

import httpx

from palisade_harness import BIN


def join_token(server, ttl=600, uses=1):
    with server.admin() as c:
        r = c.post("/v1/enforcer-tokens", json={"ttl_seconds": ttl, "max_uses": uses})
        assert r.status_code == 201, r.text
        return r.json()


def enroll(server, token, directory, hostname="node-a", expect=0):
    result = subprocess.run(
        [str(BIN / "palisade-enforcer"), "enroll", "--server", f"127.0.0.1:{server.enforcer_port}", "--token", token,
         "--ca", server.ca, "--hostname", hostname, "--state-dir", str(directory)],
        capture_output=True, text=True, timeout=60)
    assert result.returncode == expect, result.stdout + result.stderr
    if expect:
        return None
    return json.loads((Path(directory) / "enforcer.json").read_text())


def channel(server, directory=None, timeout=30):
    """An httpx client to the enforcer listener, with the node's certificate when given."""
    context = ssl.create_default_context(cafile=server.ca)
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    if directory:
        context.load_cert_chain(str(Path(directory) / "certificate.pem"), str(Path(directory) / "key.pem"))
    return httpx.Client(base_url=f"https://127.0.0.1:{server.enforcer_port}", verify=context, timeout=timeout)


def inventory(hostname, workloads):
    return {"host": {"id": hostname, "name": hostname}, "workloads": workloads}
