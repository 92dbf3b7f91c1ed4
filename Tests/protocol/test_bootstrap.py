"""First start: the admin user, its password shown once and stored only as a PBKDF2 hash."""
import base64
import hashlib
import os
import re
import signal
import subprocess
from pathlib import Path

from conftest import BIN
from test_palisade_serve import serve
from test_storage_lifecycle import database_url  # noqa: F401  (fixture)

PALISADE = str(BIN / "palisade")


def stored_hash(url):
    return subprocess.run(["psql", url, "-tAc", "SELECT role || ' ' || password_hash FROM users WHERE name = 'admin'"],
                          capture_output=True, text=True, check=True).stdout.strip()


def pbkdf2_matches(password, stored):
    scheme, iterations, salt, expected = stored.split("$")
    assert scheme == "pbkdf2-sha256" and int(iterations) >= 600_000
    derived = hashlib.pbkdf2_hmac("sha256", password.encode(), base64.b64decode(salt), int(iterations))
    return derived == base64.b64decode(expected)


def test_first_start_creates_admin_with_a_generated_password_shown_once(tmp_path, database_url):
    data = tmp_path / "data"
    process, _ = serve(data, "--listen", "127.0.0.1:0", "--database-url", database_url)
    try:
        assert len(process.stdout_lines) == 1
        password = re.search(r"password (\S+) ", process.stdout_lines[0]).group(1)
        file = data / "initial-admin-password"
        assert file.read_text().strip() == password and (file.stat().st_mode & 0o777) == 0o600
        role, stored = stored_hash(database_url).split(" ")
        assert role == "admin" and password not in stored and pbkdf2_matches(password, stored)
        assert password not in Path(process.log_path).read_text()  # never logged
        audit = subprocess.run(["psql", database_url, "-tAc", "SELECT count(*) FROM audit_log WHERE resource = 'admin'"],
                               capture_output=True, text=True, check=True).stdout.strip()
        assert audit == "1"
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    process, _ = serve(data, "--listen", "127.0.0.1:0", "--database-url", database_url)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
    assert process.stdout_lines == []  # not shown again
    assert pbkdf2_matches(password, stored_hash(database_url).split(" ")[1])


def test_admin_password_from_the_environment_is_used_and_not_written(tmp_path, database_url):
    data = tmp_path / "data"
    process, _ = serve(data, "--listen", "127.0.0.1:0", "--database-url", database_url,
                       env={"PALISADE_ADMIN_PASSWORD": "correct horse battery staple"})
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
    assert process.stdout_lines == [] and not (data / "initial-admin-password").exists()
    assert pbkdf2_matches("correct horse battery staple", stored_hash(database_url).split(" ")[1])


def test_a_too_short_admin_password_is_refused_clearly(tmp_path, database_url):
    result = subprocess.run([PALISADE, "serve", "--data-dir", str(tmp_path / "d"), "--listen", "127.0.0.1:0",
                             "--database-url", database_url], capture_output=True, text=True, timeout=60,
                            env={**os.environ, "PALISADE_ADMIN_PASSWORD": "short"})
    assert result.returncode == 1 and "at least 12 characters" in result.stderr
