"""The running server every pytest suite drives: a real `palisade serve` on loopback over TLS, on
a fresh database of the suite's PostgreSQL (PALISADE_TEST_DATABASE_URL), called with httpx.
Shared by Tests/api and Tests/console (their conftest files put this folder on sys.path)."""
import os
import re
import signal
import ssl
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(os.environ.get("PALISADE_BIN_DIR", ROOT / ".build" / "debug"))
ADMIN_URL = os.environ.get("PALISADE_TEST_DATABASE_URL")
ADMIN_PASSWORD = "correct-horse-battery-staple"


def psql(conninfo, sql):
    """Runs SQL as the test cluster's superuser; returns rows as lists of strings."""
    result = subprocess.run(["psql", conninfo, "-XAtq", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-c", sql],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return [line.split("\t") for line in result.stdout.splitlines() if line]


class Database:
    def __init__(self):
        assert ADMIN_URL, "PALISADE_TEST_DATABASE_URL is not set: run through scripts/test.sh"
        self.name = "api_" + uuid.uuid4().hex[:16]
        psql(ADMIN_URL, f"CREATE DATABASE {self.name}")
        self.url = ADMIN_URL.replace("dbname=postgres", f"dbname={self.name}")

    def sql(self, statement):
        return psql(self.url, statement)

    def drop(self):
        psql(ADMIN_URL, f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")


class Server:
    """One `palisade serve` on a fresh database, with helpers to sign in and call the API."""

    def __init__(self, data_dir, database, env=None):
        self.database = database
        self.data_dir = Path(data_dir)
        self.log = tempfile.NamedTemporaryFile(prefix="palisade-api-", suffix=".log", delete=False)
        self.process = subprocess.Popen(
            [str(BIN / "palisade"), "serve", "--data-dir", str(data_dir), "--listen", "127.0.0.1:0",
             "--database-url", database.url, "--event-loops", "2", "--enforcer-listen", "127.0.0.1:0"],
            stdout=subprocess.PIPE, stderr=self.log, text=True,
            env={**os.environ, "PALISADE_ADMIN_PASSWORD": ADMIN_PASSWORD, **(env or {})})
        line = self.process.stdout.readline()
        assert line.startswith("palisade: serving"), Path(self.log.name).read_text()
        port = int(re.search(r"https://127\.0\.0\.1:(\d+)", line).group(1))
        self.url = f"https://127.0.0.1:{port}"
        self.enforcer_port = int(re.search(r"enforcer channel on 127\.0\.0\.1:(\d+)", line).group(1))
        self.ca = str(self.data_dir / "tls" / "ca.pem")
        self._admin = None

    def client(self, token=None, **headers):
        if token:
            headers["authorization"] = f"Bearer {token}"
        return httpx.Client(base_url=self.url, verify=ssl.create_default_context(cafile=self.ca), headers=headers,
                            timeout=30)

    def login(self, name, password):
        with self.client() as c:
            r = c.post("/v1/auth/login", json={"username": name, "password": password})
            assert r.status_code == 200, r.text
            return r.json()["token"]

    @property
    def admin_token(self):
        if self._admin is None:
            self._admin = self.login("admin", ADMIN_PASSWORD)
        return self._admin

    def admin(self, **headers):
        return self.client(self.admin_token, **headers)

    def user(self, name, role):
        """Creates a user with `role` (once) and returns a fresh session token for it."""
        password = f"{name}-password-long-enough"
        with self.admin() as c:
            r = c.post("/v1/users", json={"name": name, "role": role, "password": password})
            assert r.status_code in (201, 409), r.text
        return self.login(name, password)

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        assert self.process.wait(timeout=30) == 0, Path(self.log.name).read_text()[-4000:]


def wait_for(what, check, timeout=60, interval=0.5):
    """Calls `check` until it returns something truthy (returned) or `timeout` seconds pass."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        result = check()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}")


# Fixtures every suite uses; a conftest that imports them makes them available to its tests.
@pytest.fixture(scope="module")
def database():
    db = Database()
    yield db
    db.drop()


@pytest.fixture(scope="module")
def server(tmp_path_factory, database):
    s = Server(tmp_path_factory.mktemp("data"), database)
    yield s
    s.stop()

