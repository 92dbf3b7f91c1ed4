"""The enforcer channel with real binaries and real TLS: enrollment, mTLS refusals, revocation,
renewal, reports and their idempotency, and the policy stream."""
import datetime
import json
import subprocess
import threading
import time
import uuid
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from enforcer_helpers import channel, enroll, inventory, join_token


def csr_pem(common_name=None, extra=(), san=None, key=None):
    key = key or ec.generate_private_key(ec.SECP256R1())
    names = ([x509.NameAttribute(NameOID.COMMON_NAME, common_name)] if common_name else []) + list(extra)
    builder = x509.CertificateSigningRequestBuilder().subject_name(x509.Name(names))
    if san:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.UniformResourceIdentifier(san)]), False)
    return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM).decode(), key


def count(server, table):
    return int(server.database.sql(f"SELECT count(*) FROM {table}")[0][0])


def token_uses(server, token_id):
    return int(server.database.sql(f"SELECT uses FROM enforcer_join_tokens WHERE id = '{token_id}'")[0][0])


def test_enrollment_issues_a_short_lived_client_certificate_naming_the_enforcer(server, tmp_path):
    token = join_token(server)
    state = enroll(server, token["token"], tmp_path / "a", hostname="node-a")
    certificate = x509.load_pem_x509_certificate((tmp_path / "a" / "certificate.pem").read_bytes())
    uris = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert uris.get_values_for_type(x509.UniformResourceIdentifier) == [f"urn:palisade:enforcer:{state['enforcerID']}"]
    assert certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value == x509.ExtendedKeyUsage(
        [ExtendedKeyUsageOID.CLIENT_AUTH])
    lifetime = certificate.not_valid_after_utc - certificate.not_valid_before_utc
    assert datetime.timedelta(hours=23) < lifetime < datetime.timedelta(hours=25)
    assert certificate.serial_number.bit_length() > 64
    for name in ("key.pem", "certificate.pem", "enforcer.json"):
        assert (tmp_path / "a" / name).stat().st_mode & 0o777 == 0o600
    serial = format(certificate.serial_number, "x")
    fingerprint = certificate.fingerprint(hashes.SHA256()).hex()
    assert server.database.sql(
        f"SELECT certificate_serial, certificate_sha256 FROM enforcers WHERE id = '{state['enforcerID']}'") == [
        [serial, fingerprint]]
    with server.admin() as c:
        audit = c.get("/v1/audit", params={"path_prefix": "/v1/enroll"}).json()["items"]
        assert audit[0]["resource"] == f"enforcer:{state['enforcerID']}" and audit[0]["outcome"] == "success"


def test_join_tokens_are_used_up_expire_and_refusals_write_nothing(server, tmp_path):
    token = join_token(server, uses=1)
    enroll(server, token["token"], tmp_path / "first", hostname="node-once")
    enforcers = count(server, "enforcers")
    enroll(server, token["token"], tmp_path / "second", hostname="node-twice", expect=69)
    expiring = join_token(server, uses=5)
    server.database.sql(f"UPDATE enforcer_join_tokens SET expires_at = now() - interval '1 second' "
                        f"WHERE id = '{expiring['id']}'")
    enroll(server, expiring["token"], tmp_path / "late", hostname="node-late", expect=69)
    revoked = join_token(server, uses=5)
    with server.admin() as c:
        assert c.delete(f"/v1/enforcer-tokens/{revoked['id']}").status_code == 204
    enroll(server, revoked["token"], tmp_path / "revoked", hostname="node-revoked", expect=69)
    assert count(server, "enforcers") == enforcers
    assert token_uses(server, expiring["id"]) == 0 and token_uses(server, revoked["id"]) == 0


@pytest.mark.parametrize("case", ["other common name", "extra subject field", "requested SAN", "malformed",
                                  "unsigned by its key", "RSA key"])
def test_forged_or_bad_csrs_are_refused_and_use_no_token(server, case):
    token = join_token(server, uses=3)
    if case == "other common name":
        pem, _ = csr_pem("enforcer-of-someone-else")
    elif case == "extra subject field":
        pem, _ = csr_pem("node-x", extra=[x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Palisade")])
    elif case == "requested SAN":
        pem, _ = csr_pem("node-x", san=f"urn:palisade:enforcer:{uuid.uuid4()}")
    elif case == "malformed":
        pem = "-----BEGIN CERTIFICATE REQUEST-----\nbm90IGEgY3Ny\n-----END CERTIFICATE REQUEST-----\n"
    elif case == "unsigned by its key":
        good, _ = csr_pem("node-x")
        der = bytearray(x509.load_pem_x509_csr(good.encode()).public_bytes(serialization.Encoding.DER))
        der[-3] ^= 0xFF  # corrupt the signature
        import base64
        pem = "-----BEGIN CERTIFICATE REQUEST-----\n" + base64.encodebytes(bytes(der)).decode() + \
              "-----END CERTIFICATE REQUEST-----\n"
    else:
        from cryptography.hazmat.primitives.asymmetric import rsa
        pem, _ = csr_pem("node-x", key=rsa.generate_private_key(public_exponent=65537, key_size=2048))
    enforcers = count(server, "enforcers")
    with channel(server) as c:
        r = c.post("/v1/enroll", headers={"authorization": f"Bearer {token['token']}"},
                   json={"csr_pem": pem, "hostname": "node-x"})
    assert r.status_code == 400, r.text
    assert r.json()["code"] == "invalid_field" and "csr_pem" in r.json()["detail"]
    assert count(server, "enforcers") == enforcers and token_uses(server, token["id"]) == 0


def foreign_ca_certificate(tmp_path):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Not Palisade")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(hours=1))
                   .not_valid_after(now + datetime.timedelta(days=1))
                   .add_extension(x509.SubjectAlternativeName(
                       [x509.UniformResourceIdentifier(f"urn:palisade:enforcer:{uuid.uuid4()}")]), False)
                   .sign(key, hashes.SHA256()))
    return write_identity(tmp_path / "foreign", certificate, key)


def expired_certificate(server, tmp_path, enforcer_id):
    ca_key = serialization.load_pem_private_key((Path(server.data_dir) / "tls" / "ca.key").read_bytes(), None)
    ca = x509.load_pem_x509_certificate((Path(server.data_dir) / "tls" / "ca.pem").read_bytes())
    key = ec.generate_private_key(ec.SECP256R1())
    past = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=3)
    certificate = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "old")]))
                   .issuer_name(ca.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(past).not_valid_after(past + datetime.timedelta(days=1))
                   .add_extension(x509.SubjectAlternativeName(
                       [x509.UniformResourceIdentifier(f"urn:palisade:enforcer:{enforcer_id}")]), False)
                   .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), False)
                   .sign(ca_key, hashes.SHA256()))
    return write_identity(tmp_path / "expired", certificate, key)


def write_identity(directory, certificate, key):
    directory.mkdir(parents=True)
    (directory / "certificate.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    (directory / "key.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return directory


def curl_inventory(server, directory):
    """PUT an inventory with curl; returns (exit code, HTTP status). curl's error, if any, is in
    `curl_inventory.last_error`."""
    args = ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10", "--cacert", server.ca,
            "-X", "PUT", "-d", "{}", f"https://127.0.0.1:{server.enforcer_port}/v1/enforcer/inventory"]
    if directory:
        args[1:1] = ["--cert", str(directory / "certificate.pem"), "--key", str(directory / "key.pem")]
    result = subprocess.run(args, capture_output=True, text=True, timeout=30)
    curl_inventory.last_error = result.stderr
    return result.returncode, result.stdout


def test_requests_without_a_valid_client_certificate_are_refused(server, tmp_path):
    state = enroll(server, join_token(server)["token"], tmp_path / "ok", hostname="node-cert")
    writes = count(server, "hosts")
    assert curl_inventory(server, None) == (0, "401")
    code, status = curl_inventory(server, foreign_ca_certificate(tmp_path))
    assert code != 0 and status == "000"  # the handshake fails: unknown CA
    assert "unknown ca" in curl_inventory.last_error, curl_inventory.last_error
    code, status = curl_inventory(server, expired_certificate(server, tmp_path, state["enforcerID"]))
    assert code != 0 and status == "000"  # the handshake fails: expired
    assert "certificate expired" in curl_inventory.last_error, curl_inventory.last_error
    assert count(server, "hosts") == writes


def test_revocation_refuses_the_next_handshake_and_request_and_closes_streams(server, tmp_path):
    directory = tmp_path / "rev"
    state = enroll(server, join_token(server)["token"], directory, hostname="node-rev")
    lines, ended = [], threading.Event()
    with channel(server, directory, timeout=60) as c:
        assert c.put("/v1/enforcer/inventory", json=inventory("node-rev", [])).status_code == 200

        def follow():
            try:
                with c.stream("GET", "/v1/enforcer/policy", params={"after": 0}) as stream:
                    for line in stream.iter_lines():
                        lines.append(line)
            except httpx.HTTPError:
                pass
            ended.set()

        reader = threading.Thread(target=follow)
        reader.start()
        deadline = time.time() + 10
        while not lines and time.time() < deadline:
            time.sleep(0.05)
        assert lines and json.loads(lines[0])["type"] == "ruleset"
        with server.admin() as admin:
            assert admin.post(f"/v1/enforcers/{state['enforcerID']}/revoke").status_code == 200
        assert ended.wait(5), "the open policy stream was not closed"
        reader.join()
        # The same (already open) connection: the next request is refused.
        assert c.post("/v1/enforcer/ack", json={"revision": 0, "status": "applied"}).status_code == 403
    code, status = curl_inventory(server, directory)
    assert code != 0 and status == "000"  # a new handshake is refused outright
    assert "certificate revoked" in curl_inventory.last_error, curl_inventory.last_error


def test_renewal_replaces_the_certificate_and_retires_the_old_one(server, tmp_path):
    directory = tmp_path / "renew"
    state = enroll(server, join_token(server)["token"], directory, hostname="node-renew")
    pem, key = csr_pem("node-renew")
    with channel(server, directory) as c:
        r = c.post("/v1/enforcer/renew", json={"csr_pem": pem})
        assert r.status_code == 200, r.text
        assert r.json()["enforcer_id"] == state["enforcerID"]
    old = directory
    renewed = write_identity(tmp_path / "renewed", x509.load_pem_x509_certificate(r.json()["certificate_pem"].encode()),
                             key)
    assert curl_inventory(server, renewed)[1] == "400"  # authenticated; the empty body is refused
    code, status = curl_inventory(server, old)
    assert code != 0 and status == "000"


def test_bad_reports_get_clear_errors_and_store_nothing(server, tmp_path):
    directory = tmp_path / "bad"
    enroll(server, join_token(server)["token"], directory, hostname="node-bad")
    now = datetime.datetime.now(datetime.timezone.utc)
    good = {"kind": "threat", "name": "probe", "severity": "high"}
    cases = [
        ({"sequence": 1, "reports": [{"kind": "teleport"}]}, 400, "reports[0].kind"),
        ({"sequence": 1, "reports": [good] * 10_001}, 400, "more than 10000"),
        ({"sequence": 1, "reports": [good, {"kind": "connection", "src": "a"}]}, 400, "reports[1].dst"),
        ({"sequence": 1, "reports": [{**good, "occurred_at": (now + datetime.timedelta(hours=2)).isoformat()}]},
         400, "occurred_at"),
        ({"sequence": 1, "reports": [{**good, "occurred_at": "2001-01-01T00:00:00Z"}]}, 400, "occurred_at"),
        ({"sequence": -1, "reports": [good]}, 400, "sequence"),
        ({"sequence": 1, "reports": [good], "extra": True}, 400, "extra"),
        ({"sequence": 1, "reports": [{**good, "colour": "red"}]}, 400, "reports[0].colour"),
        ({"sequence": 1, "reports": [good, {**good, "severity": 3}]}, 400, "reports[1].severity"),
        ({"sequence": 1, "reports": [{"kind": "connection", "src": "a", "dst": "b", "port": "80", "protocol": "tcp"}]},
         400, "reports[0].port"),
        ({"sequence": 1, "reports": [{**good, "occurred_at": "yesterday"}]}, 400, "reports[0].occurred_at"),
        ({"sequence": 1, "reports": ["threat"]}, 400, "reports[0]"),
        ({"sequence": 1, "reports": {"0": good}}, 400, "reports"),
        ({"sequence": "1", "reports": [good]}, 400, "sequence"),
        ({"reports": [good]}, 400, "sequence"),
        ([good], 400, "object"),
    ]
    before = [count(server, t) for t in ("events", "report_batches", "conversations")]
    with channel(server, directory) as c:
        for body, status, fragment in cases:
            r = c.post("/v1/enforcer/reports", json=body)
            assert r.status_code == status and fragment in r.json()["detail"], (body, r.text)
        # Bodies json= cannot produce: cut off, repeated fields, trailing text, bad UTF-8, nesting where
        # a string belongs (refused before it is descended into), a leading zero.
        for content, fragment in [
            (b'{"sequence": 1, "reports": [{"kind": "thr', "not terminated"),
            (b'{"sequence": 1, "sequence": 2, "reports": []}', "appears twice"),
            (b'{"sequence": null, "sequence": 2, "reports": []}', "appears twice"),
            (b'{"sequence": 1, "reports": [{"kind": "threat", "kind": "file"}]}', "reports[0].kind"),
            (b'{"sequence": 1, "reports": []} {"sequence": 2}', "after the value"),
            (b'{"sequence": 1, "reports": [{"kind": "threat", "name": "\xff", "severity": "low"}]}', "UTF-8"),
            (b'{"sequence": 1, "reports": [{"kind": "threat", "name": ' + b"[" * 40, "reports[0].name"),
            (b'{"sequence": 01, "reports": []}', "leading zero"),
        ]:
            r = c.post("/v1/enforcer/reports", content=content, headers={"content-type": "application/json"})
            assert r.status_code == 400 and fragment in r.json()["detail"], (content, r.text)
        huge = c.post("/v1/enforcer/reports", content=b"[" * (9 << 20), headers={"content-type": "application/json"})
        assert huge.status_code == 413
    assert [count(server, t) for t in ("events", "report_batches", "conversations")] == before


def test_a_repeated_batch_is_acknowledged_and_stored_once(server, tmp_path):
    directory = tmp_path / "dup"
    enroll(server, join_token(server)["token"], directory, hostname="node-dup")
    batch = {"sequence": 7, "reports": [
        {"kind": "threat", "name": "dup-threat", "severity": "low"},
        {"kind": "connection", "src": "198.51.100.1", "dst": "198.51.100.2", "port": 80, "protocol": "tcp",
         "bytes": 10, "sessions": 3}]}
    with channel(server, directory) as c:
        first = c.post("/v1/enforcer/reports", json=batch).json()
        again = c.post("/v1/enforcer/reports", json=batch).json()
    assert first == {"sequence": 7, "accepted": 2, "duplicate": False}
    assert again == {"sequence": 7, "accepted": 2, "duplicate": True}
    assert server.database.sql("SELECT count(*) FROM events WHERE summary LIKE 'dup-threat%'") == [["1"]]
    assert server.database.sql(
        "SELECT sessions FROM conversations WHERE source_id = '198.51.100.1' AND destination_id = '198.51.100.2'") == [
        ["3"]]


def test_the_policy_stream_sends_only_what_changed_within_a_second(server, tmp_path):
    directory = tmp_path / "stream"
    enroll(server, join_token(server)["token"], directory, hostname="node-stream")
    workloads = [{"id": "st-web", "name": "web", "namespace": "st", "service": "web", "addresses": ["10.77.0.1"]},
                 {"id": "st-db", "name": "db", "namespace": "st", "service": "db", "addresses": ["10.77.0.2"]}]
    lines = []
    with channel(server, directory, timeout=60) as c:
        current = c.put("/v1/enforcer/inventory", json=inventory("node-stream", workloads)).json()["revision"]

        def follow():
            try:
                with c.stream("GET", "/v1/enforcer/policy", params={"after": current}) as stream:
                    for line in stream.iter_lines():
                        lines.append((time.monotonic(), json.loads(line)))
            except httpx.HTTPError:
                pass

        threading.Thread(target=follow, daemon=True).start()
        time.sleep(1)
        assert lines == []  # after= is current: nothing to send
        with server.admin() as admin:
            changed_at = time.monotonic()
            r = admin.post("/v1/rules", json={"from": "nv.web.st", "to": "nv.db.st", "ports": ["tcp/5432"],
                                               "action": "allow"})
            assert r.status_code == 201, r.text
        deadline = time.time() + 5
        while not lines and time.time() < deadline:
            time.sleep(0.02)
        assert lines, "no rule set was pushed"
        arrived, ruleset = lines[0]
        assert arrived - changed_at < 1.0
        assert ruleset["type"] == "ruleset" and ruleset["revision"] > current
        rule = ruleset["ruleset"]["rules"][0]
        assert rule["from"] == {"group": "nv.web.st", "addresses": ["10.77.0.1"]}
        assert rule["to"]["addresses"] == ["10.77.0.2"] and rule["ports"] == ["tcp/5432"]
        assert {w["id"]: w["default_action"] for w in ruleset["ruleset"]["workloads"]} == {
            "st-db": "learn", "st-web": "learn"}
        # A change elsewhere moves the revision but not this node's rules: a short "current" line.
        with server.admin() as admin:
            assert admin.post("/v1/groups", json={"name": "unrelated-group"}).status_code == 201
        deadline = time.time() + 5
        while len(lines) < 2 and time.time() < deadline:
            time.sleep(0.02)
        assert lines[1][1]["type"] == "current" and lines[1][1]["hash"] == ruleset["hash"]
        ack = c.post("/v1/enforcer/ack", json={"revision": lines[1][1]["revision"], "status": "applied"})
        assert ack.status_code == 200
        assert c.post("/v1/enforcer/ack", json={"revision": 10**9, "status": "applied"}).status_code == 400


def test_bad_inventories_get_clear_errors_and_change_nothing(server, tmp_path):
    directory = tmp_path / "inv"
    enroll(server, join_token(server)["token"], directory, hostname="node-inv")
    other = tmp_path / "other"
    enroll(server, join_token(server)["token"], other, hostname="node-other")
    with channel(server, other) as c:
        owned = inventory("node-other", [{"id": "other-w", "name": "w", "addresses": ["10.88.0.1"]}])
        assert c.put("/v1/enforcer/inventory", json=owned).status_code == 200
    workload = {"id": "inv-w", "name": "w", "namespace": "inv", "addresses": ["10.99.0.1"]}
    cases = [
        (inventory("node-inv", [{**workload, "addresses": ["10.99.0.0/24"]}]), 400, "workloads[0].addresses[0]"),
        (inventory("node-inv", [{**workload, "addresses": ["not-an-ip"]}]), 400, "workloads[0].addresses[0]"),
        (inventory("node-inv", [workload, workload]), 400, "workloads[1].id"),
        (inventory("node-inv", [{**workload, "id": "bad id*"}]), 400, "workloads[0].id"),
        (inventory("node-inv", [{**workload, "colour": "red"}]), 400, "colour"),
        (inventory("node-inv", [workload] * 2001), 400, "more than 2000"),
        (inventory("node-somebody-else", [workload]), 403, "enrolled as 'node-inv'"),
        (inventory("node-inv", [{**workload, "id": "other-w"}]), 409, "other-w"),
        ({"workloads": []}, 400, "'host' is required"),
    ]
    before = [count(server, t) for t in ("hosts", "workloads", "groups")]
    revision = server.database.sql("SELECT revision FROM policy_revision")
    with channel(server, directory) as c:
        for body, status, fragment in cases:
            r = c.put("/v1/enforcer/inventory", json=body)
            assert r.status_code == status and fragment in r.json()["detail"], (fragment, r.text)
    assert [count(server, t) for t in ("hosts", "workloads", "groups")] == before
    assert server.database.sql("SELECT revision FROM policy_revision") == revision
