"""The `palisade` executable: defaults, listeners, first-start TLS material, CLI errors, signals."""
import os
import re
import signal
import socket
import stat
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from conftest import BIN, wait_until

PALISADE = str(BIN / "palisade")


def serve(data_dir, *args, env=None):
    log = tempfile.NamedTemporaryFile(prefix="palisade-", suffix=".log", delete=False)
    if "--listen" in args and "--enforcer-listen" not in args:
        args = (*args, "--enforcer-listen", "127.0.0.1:0")  # tests may run servers side by side
    process = subprocess.Popen([PALISADE, "serve", "--data-dir", str(data_dir), *args], stdout=subprocess.PIPE,
                               stderr=log, text=True, env={**os.environ, **(env or {})})
    process.stdout_lines = []
    line = process.stdout.readline()
    while line.startswith("palisade: created user"):  # printed once, on first start
        process.stdout_lines.append(line)
        line = process.stdout.readline()
    assert line.startswith("palisade: serving"), Path(log.name).read_text()
    ports = dict(re.findall(r"(https|http)://127\.0\.0\.1:(\d+)", line))
    process.log_path = log.name
    return process, {k: int(v) for k, v in ports.items()}


def curl(*args):
    result = subprocess.run(["curl", "-s", "--max-time", "5", "-w", "\n%{http_version}", *args],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    body, version = result.stdout.rsplit("\n", 1)
    return body, version


def test_default_listener_on_10443_negotiates_h2_and_http1_over_tls(tmp_path):
    process, _ = serve(tmp_path / "data")
    try:
        assert curl("--http2", "-k", "https://127.0.0.1:10443/healthz") == ('{"status":"ok"}', "2")
        assert curl("--http1.1", "-k", "https://127.0.0.1:10443/healthz") == ('{"status":"ok"}', "1.1")
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0


def test_cleartext_listener_speaks_h2c_by_prior_knowledge_and_by_upgrade(tmp_path):
    process, ports = serve(tmp_path / "data", "--listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0")
    try:
        url = f"http://127.0.0.1:{ports['http']}/healthz"
        assert curl("--http2-prior-knowledge", url) == ('{"status":"ok"}', "2")
        assert curl("--http2", url) == ('{"status":"ok"}', "2")  # HTTP/1.1 with Upgrade: h2c
        assert curl("--http1.1", url) == ('{"status":"ok"}', "1.1")
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0


def test_first_start_creates_a_ca_and_a_server_certificate_clients_can_verify(tmp_path):
    data = tmp_path / "data"
    process, ports = serve(data, "--listen", "127.0.0.1:0")
    try:
        tls = data / "tls"
        for key in ("ca.key", "server.key"):
            assert stat.S_IMODE((tls / key).stat().st_mode) == 0o600
        assert stat.S_IMODE(data.stat().st_mode) & 0o066 == 0  # 0700, or 0711 for the embedded PostgreSQL user
        # Verified against our CA, no -k: the certificate names localhost and 127.0.0.1.
        assert curl("--cacert", str(tls / "ca.pem"), f"https://localhost:{ports['https']}/healthz")[0] == '{"status":"ok"}'
        assert curl("--cacert", str(tls / "ca.pem"), f"https://127.0.0.1:{ports['https']}/healthz")[0] == '{"status":"ok"}'
        text = subprocess.run(["openssl", "x509", "-in", str(tls / "server.pem"), "-noout", "-text"],
                              capture_output=True, text=True, check=True).stdout
        assert "ASN1 OID: prime256v1" in text and "TLS Web Server Authentication" in text
        fingerprint = (tls / "server.pem").read_text()
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
    # A second start reuses what the first made.
    process, _ = serve(data, "--listen", "127.0.0.1:0")
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=15) == 0
    assert (data / "tls" / "server.pem").read_text() == fingerprint


def test_help_lists_every_option_with_its_environment_variable():
    top = subprocess.run([PALISADE, "--help"], capture_output=True, text=True)
    assert top.returncode == 0 and "serve" in top.stdout
    result = subprocess.run([PALISADE, "serve", "--help"], capture_output=True, text=True)
    assert result.returncode == 0
    for flag, env in [("--listen", "PALISADE_LISTEN"), ("--http-listen", "PALISADE_HTTP_LISTEN"),
                      ("--tls-cert", "PALISADE_TLS_CERT"), ("--tls-key", "PALISADE_TLS_KEY"),
                      ("--data-dir", "PALISADE_DATA_DIR"), ("--log-level", "PALISADE_LOG_LEVEL"),
                      ("--log-format", "PALISADE_LOG_FORMAT"), ("--config", "PALISADE_CONFIG")]:
        assert flag in result.stdout and env in result.stdout


@pytest.mark.parametrize("args, message", [
    (["serve", "--bogus"], "unknown option"),
    (["serve", "--listen", "nowhere"], "HOST:PORT"),
    (["serve", "--listen", "127.0.0.1:99999"], "HOST:PORT"),
    (["serve", "--listen"], "needs a value"),
    (["serve", "--log-level", "loud"], "unknown level"),
    (["serve", "--tls-cert", "/tmp/x.pem"], "go together"),
    (["frobnicate"], "unknown command"),
])
def test_bad_usage_exits_64_with_one_clear_line(args, message):
    result = subprocess.run([PALISADE, *args], capture_output=True, text=True, timeout=10)
    assert result.returncode == 64
    assert message in result.stderr and result.stderr.count("\n") == 1


def test_config_file_errors_exit_64(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"listen": "127.0.0.1:0", "colour": "blue"}')
    result = subprocess.run([PALISADE, "serve", "--config", str(bad)], capture_output=True, text=True, timeout=10)
    assert result.returncode == 64 and "unknown key 'colour'" in result.stderr
    bad.write_text("[1, 2")
    result = subprocess.run([PALISADE, "serve", "--config", str(bad)], capture_output=True, text=True, timeout=10)
    assert result.returncode == 64 and "JSON object" in result.stderr


def test_environment_and_config_file_are_used_and_flags_win(tmp_path):
    config = tmp_path / "palisade.json"
    config.write_text('{"listen": "127.0.0.1:1", "log_format": "text"}')
    process, ports = serve(tmp_path / "data", "--listen", "127.0.0.1:0",
                           env={"PALISADE_CONFIG": str(config), "PALISADE_HTTP_LISTEN": "127.0.0.1:0"})
    try:
        assert ports["https"] != 1 and "http" in ports  # flag beat the file; the environment added a listener
        assert wait_until(lambda: " notice palisade: listening" in Path(process.log_path).read_text())  # text format from the file
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0


def test_startup_failures_exit_1_with_a_clear_reason(tmp_path):
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", 0))
    blocker.listen()
    port = blocker.getsockname()[1]
    result = subprocess.run([PALISADE, "serve", "--data-dir", str(tmp_path / "a"), "--listen", f"127.0.0.1:{port}"],
                            capture_output=True, text=True, timeout=20)
    assert result.returncode == 1 and "Address already in use" in result.stderr
    blocker.close()

    result = subprocess.run([PALISADE, "serve", "--data-dir", str(tmp_path / "b"), "--listen", "127.0.0.1:0",
                             "--tls-cert", "/nonexistent.pem", "--tls-key", "/nonexistent.key"],
                            capture_output=True, text=True, timeout=20)
    assert result.returncode == 1 and "certificate" in result.stderr

    foreign = tmp_path / "foreign"
    foreign.mkdir()
    os.chown(foreign, 65534, 65534)
    result = subprocess.run([PALISADE, "serve", "--data-dir", str(foreign), "--listen", "127.0.0.1:0"],
                            capture_output=True, text=True, timeout=20)
    assert result.returncode == 1 and "belongs to uid 65534" in result.stderr


def test_sigint_also_stops_gracefully(tmp_path):
    process, ports = serve(tmp_path / "data", "--listen", "127.0.0.1:0")
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=15) == 0
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", ports["https"]), timeout=2)
