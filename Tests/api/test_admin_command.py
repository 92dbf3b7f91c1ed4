"""`palisade admin`: reset a password without a signed-in admin (sessions ended, audited, the
password policy and exit statuses as documented), and export the CA certificate."""
import subprocess

import pytest

from conftest import BIN


def admin(server, *args, stdin=None, expect=0):
    result = subprocess.run(
        [str(BIN / "palisade"), "admin", *args, "--data-dir", str(server.data_dir),
         "--database-url", server.database.url],
        input=stdin, capture_output=True, text=True, timeout=120)
    assert result.returncode == expect, f"{args}: {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result


def me(server, token):
    with server.client(token) as c:
        return c.get("/v1/auth/me").status_code


def test_reset_password_ends_sessions_is_audited_and_the_new_password_works(server):
    token = server.user("locked-out-admin", "admin")
    assert me(server, token) == 200
    new = "a brand new long password"
    out = admin(server, "reset-password", "--user", "locked-out-admin", "--password-stdin", stdin=new + "\n").stdout
    assert "1 session(s) ended" in out and new not in out
    assert me(server, token) == 401
    with server.client() as c:
        old = c.post("/v1/auth/login", json={"username": "locked-out-admin",
                                             "password": "locked-out-admin-password-long-enough"})
        assert old.status_code == 401
    assert me(server, server.login("locked-out-admin", new)) == 200
    with server.admin() as c:
        entries = c.get("/v1/audit", params={"actor": "palisade admin"}).json()["items"]
    assert any(e["method"] == "RESET-PASSWORD" and e["resource"] == "locked-out-admin" for e in entries), entries


def test_reset_password_generates_one_when_none_is_given(server):
    server.user("forgetful", "reader")
    out = admin(server, "reset-password", "--user", "forgetful").stdout
    generated = out.split("new password for 'forgetful': ")[1].split()[0]
    assert len(generated) >= 12
    assert me(server, server.login("forgetful", generated)) == 200


@pytest.mark.parametrize("args, stdin, status, message", [
    (["reset-password", "--user", "nobody-here", "--password-stdin"], "long enough password\n", 67, "no user"),
    (["reset-password", "--user", "admin", "--password-stdin"], "short\n", 65, "12 to 1024"),
    (["reset-password", "--user", "admin", "--password-stdin"], "x" * 2000 + "\n", 65, "at most 1024"),
    (["reset-password", "--user", "admin", "--password-stdin"], "two\nlines here\n", 65, "one line"),
    (["reset-password", "--password-stdin"], "long enough password\n", 64, "needs --user"),
    (["reset-password", "--user"], None, 64, "needs a user name"),
    (["reset-password", "--user", "admin", "--colour", "red"], None, 64, "colour"),
    (["teleport"], None, 64, "unknown admin command"),
])
def test_bad_admin_usage_gets_a_clear_message_and_its_exit_status(server, args, stdin, status, message):
    result = admin(server, *args, stdin=stdin, expect=status)
    assert message in result.stderr, result.stderr
    assert me(server, server.admin_token) == 200  # nothing was reset


def test_ca_export_prints_the_certificate_clients_trust(server):
    out = admin(server, "ca-export").stdout
    assert out.startswith("-----BEGIN CERTIFICATE-----") and out == open(server.ca).read()
