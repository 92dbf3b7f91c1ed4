"""Fixtures for REST API tests: a real `palisade serve` on loopback over TLS, each module on a
fresh database of the suite's PostgreSQL (see Tests/harness/palisade_harness.py)."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "harness"))

from palisade_harness import ADMIN_PASSWORD, BIN, Database, Server, database, psql, server  # noqa: E402,F401


def new_server(tmp_path_factory):
    """A second, independent server on its own fresh database (for import tests)."""
    db = Database()
    return Server(tmp_path_factory.mktemp("data2"), db), db
