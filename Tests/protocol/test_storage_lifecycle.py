"""The database side of `palisade` as operators meet it: the embedded PostgreSQL, migrations from
the command line, an external database that restarts, and bad database configuration."""
import os
import re
import signal
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest

from conftest import BIN, wait_until
from test_palisade_serve import curl, serve

PALISADE = str(BIN / "palisade")
ADMIN_URL = os.environ.get("PALISADE_TEST_DATABASE_URL")
PG_BIN = sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1]


def readyz(port):
    result = subprocess.run(["curl", "-sk", "--max-time", "5", "-o", "/dev/null", "-w", "%{http_code}",
                             f"https://127.0.0.1:{port}/readyz"], capture_output=True, text=True)
    return int(result.stdout or 0)


def postmaster(log_path):
    """The pid of the embedded postmaster, from the server's own log line."""
    pid = re.findall(r'started embedded PostgreSQL.*?"pid":"(\d+)"', Path(log_path).read_text())
    assert pid, Path(log_path).read_text()
    return int(pid[-1])


def test_embedded_default_runs_postgres_unprivileged_and_stops_it(tmp_path):
    data = tmp_path / "data"
    process, ports = serve(data, "--listen", "127.0.0.1:0")
    try:
        assert readyz(ports["https"]) == 200
        pid = postmaster(process.log_path)
        status = Path(f"/proc/{pid}/status").read_text()
        uid = int(re.search(r"^Uid:\s+(\d+)", status, re.M).group(1))
        assert uid != 0 and uid == int(subprocess.run(["id", "-u", "postgres"], capture_output=True, text=True).stdout)
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        assert b"listen_addresses=" in cmdline  # no TCP listener, only the Unix socket
        log = Path(process.log_path).read_text()
        assert "applied migration" in log and "0001_initial.sql" in log
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    assert not Path(f"/proc/{pid}").exists()  # stopping Palisade stopped PostgreSQL

    # A second start reuses the cluster and applies nothing twice.
    process, ports = serve(data, "--listen", "127.0.0.1:0")
    try:
        assert readyz(ports["https"]) == 200
        assert "applied migration" not in Path(process.log_path).read_text()
        # A second server on the same data directory refuses instead of sharing it.
        second = subprocess.run([PALISADE, "serve", "--data-dir", str(data), "--listen", "127.0.0.1:0"],
                                capture_output=True, text=True, timeout=30)
        assert second.returncode == 1 and "in use by another palisade process" in second.stderr
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0


@pytest.fixture
def database_url():
    assert ADMIN_URL, "PALISADE_TEST_DATABASE_URL is not set (run through scripts/test.sh)"
    name = "t_" + uuid.uuid4().hex
    subprocess.run(["psql", ADMIN_URL, "-qc", f"CREATE DATABASE {name}"], check=True)
    yield ADMIN_URL.replace("dbname=postgres", f"dbname={name}")
    subprocess.run(["psql", ADMIN_URL, "-qc", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"], check=True)


def test_two_migrate_processes_at_once_both_succeed_and_apply_once(tmp_path, database_url):
    runs = [subprocess.Popen([PALISADE, "migrate", "--data-dir", str(tmp_path / f"d{i}"), "--database-url", database_url],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(2)]
    outputs = [run.communicate(timeout=60) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    said = sorted(out for out, _ in outputs)
    assert said[0].startswith("palisade: applied 0001_initial.sql") and said[1].startswith("palisade: schema is up to date")
    count = subprocess.run(["psql", database_url, "-tAc", "SELECT count(*) FROM schema_migrations"],
                           capture_output=True, text=True, check=True).stdout.strip()
    shipped = sorted(p.name for p in (Path(__file__).resolve().parents[2] / "Migrations").glob("*.sql"))
    assert count == str(len(shipped)), (count, shipped)  # each file applied exactly once
    assert said[0].strip() == "palisade: applied " + ", ".join(shipped), said[0]
    again = subprocess.run([PALISADE, "migrate", "--data-dir", str(tmp_path / "d0"), "--database-url", database_url],
                           capture_output=True, text=True, timeout=60)
    assert again.returncode == 0 and "up to date" in again.stdout


def test_an_edited_applied_migration_is_refused(tmp_path, database_url):
    migrations = tmp_path / "migrations"
    migrations.mkdir()
    (migrations / "0001_initial.sql").write_text("CREATE TABLE a (n int);")
    env = {**os.environ, "PALISADE_MIGRATIONS_DIR": str(migrations)}
    args = [PALISADE, "migrate", "--data-dir", str(tmp_path / "d"), "--database-url", database_url]
    assert subprocess.run(args, env=env, capture_output=True, timeout=60).returncode == 0
    (migrations / "0001_initial.sql").write_text("CREATE TABLE a (n bigint);")
    result = subprocess.run(args, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and "0001_initial.sql was changed after it was applied" in result.stderr


class OwnCluster:
    """A PostgreSQL this test may stop and start at will (not the suite's shared one)."""

    def __init__(self, root):
        self.root, self.port = root, 26000 + os.getpid() % 1000
        os.chmod(root, 0o755)
        self.run_dir = root / "run"
        self.run_dir.mkdir()
        subprocess.run(["chown", "-R", "postgres:postgres", str(root)], check=True)
        self.pg(["initdb", "-D", str(root / "data"), "-U", "postgres", "-A", "trust", "--no-locale", "--no-instructions"])
        self.start()

    def pg(self, args):
        subprocess.run(["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--reset-env",
                        str(PG_BIN / args[0]), *args[1:]], check=True, capture_output=True)

    def start(self):
        self.pg(["pg_ctl", "-D", str(self.root / "data"), "-l", str(self.root / "log"), "-w", "start", "-o",
                 f"-c listen_addresses='' -c unix_socket_directories={self.run_dir} -c port={self.port}"])

    def stop(self):
        self.pg(["pg_ctl", "-D", str(self.root / "data"), "-m", "fast", "-w", "stop"])

    @property
    def url(self):
        return f"host={self.run_dir} port={self.port} user=postgres dbname=postgres"


def test_postgres_restart_during_traffic_is_survived_without_restarting_palisade(tmp_path):
    cluster_root = Path(tempfile.mkdtemp(prefix="palisade-own-pg-", dir="/tmp"))
    cluster = OwnCluster(cluster_root)
    process, ports = serve(tmp_path / "data", "--listen", "127.0.0.1:0", "--database-url", cluster.url)
    try:
        assert readyz(ports["https"]) == 200
        cluster.stop()
        during = [readyz(ports["https"]) for _ in range(5)]
        assert set(during) == {503}, during  # a clear "not ready", never a hang or a crash
        cluster.start()
        assert wait_until(lambda: readyz(ports["https"]) == 200, timeout=15)
        assert process.poll() is None
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
        cluster.stop()


@pytest.mark.parametrize("url, fragment", [
    ("postgresql://nobody@127.0.0.1:1/none?connect_timeout=2", "database error"),
    ("host=/nonexistent port=5432 user=x dbname=x", "database error"),
    ("not a valid conninfo =", "database error"),
])
def test_bad_database_configuration_is_one_clear_error_and_a_nonzero_exit(tmp_path, url, fragment):
    started = time.monotonic()
    result = subprocess.run([PALISADE, "serve", "--data-dir", str(tmp_path / "d"), "--listen", "127.0.0.1:0",
                             "--database-url", url], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert fragment in result.stderr and result.stderr.count("palisade: cannot start") == 1
    assert time.monotonic() - started < 20


def test_a_full_disk_is_one_clear_error_and_a_nonzero_exit(tmp_path):
    # A 2 MiB tmpfs (this test runs as root, as CI does): room for the CA, not for a cluster.
    mount_point = Path(tempfile.mkdtemp(prefix="palisade-full-", dir="/tmp"))
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m,mode=0755", "tmpfs", str(mount_point)], check=True)
    try:
        result = subprocess.run([PALISADE, "serve", "--data-dir", str(mount_point / "data"), "--listen", "127.0.0.1:0"],
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 1
        assert "No space left on device" in result.stderr and result.stderr.count("palisade: cannot start") == 1
    finally:
        subprocess.run(["umount", str(mount_point)], check=True)


def test_embedded_postgres_that_dies_is_restarted_once_with_a_clear_log_line(tmp_path):
    process, ports = serve(tmp_path / "data", "--listen", "127.0.0.1:0")
    try:
        first = postmaster(process.log_path)
        os.kill(first, signal.SIGKILL)
        assert wait_until(lambda: "restarting it once" in Path(process.log_path).read_text(), timeout=10)
        assert wait_until(lambda: readyz(ports["https"]) == 200, timeout=30)
        assert postmaster(process.log_path) != first
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0


def test_a_recreated_data_directory_starts_fresh_and_keeps_the_old_cluster_aside(tmp_path):
    # tmp_path is private (0700), so the embedded cluster lives outside the data directory.
    data = tmp_path / "data"
    process, _ = serve(data, "--listen", "127.0.0.1:0")
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
    subprocess.run(["rm", "-rf", str(data)], check=True)
    process, ports = serve(data, "--listen", "127.0.0.1:0")
    try:
        assert readyz(ports["https"]) == 200
        log = Path(process.log_path).read_text()
        assert "set aside the PostgreSQL cluster of a previous data directory" in log
        assert len(process.stdout_lines) == 1  # a fresh admin for the fresh data directory
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0


def test_admin_reset_password_on_the_embedded_database_once_the_server_has_stopped(tmp_path):
    data = tmp_path / "data"
    reset = [PALISADE, "admin", "reset-password", "--user", "admin", "--password-stdin", "--data-dir", str(data)]
    process, ports = serve(data, "--listen", "127.0.0.1:0")
    try:
        assert readyz(ports["https"]) == 200
        busy = subprocess.run(reset, input="a new embedded password\n", capture_output=True, text=True, timeout=60)
        assert busy.returncode == 1 and "in use by another palisade process" in busy.stderr, busy.stderr
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    done = subprocess.run(reset, input="a new embedded password\n", capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "password of 'admin' reset" in done.stdout, done.stdout + done.stderr
    process, ports = serve(data, "--listen", "127.0.0.1:0")
    try:
        body, _ = curl("-k", "-H", "content-type: application/json", "-d",
                       '{"username":"admin","password":"a new embedded password"}',
                       f"https://127.0.0.1:{ports['https']}/v1/auth/login")
        assert '"token"' in body, body
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
