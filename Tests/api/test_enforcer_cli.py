"""palisade-enforcer's command line: bad usage is one clear line and exit 64, before any network."""
import subprocess

import pytest

from conftest import BIN


@pytest.mark.parametrize("args, message", [
    ([], "--server HOST:PORT is required"),
    (["--bogus"], "unknown option --bogus"),
    (["--server"], "--server needs a value"),
    (["--server", "a:1", "--server", "b:2"], "given twice"),
    (["--server", "no-port", "--simulate", "2", "--token", "t"], "HOST:PORT"),
    (["--server", "127.0.0.1:1", "--simulate", "abc", "--token", "t"], "1 to 10000"),
    (["--server", "127.0.0.1:1", "--simulate", "100000", "--token", "t"], "1 to 10000"),
    (["--server", "127.0.0.1:1", "--simulate", "2"], "needs --token"),
    (["--server", "127.0.0.1:1", "enroll"], "enroll needs --token"),
    (["--server", "127.0.0.1:1", "dance"], "unknown command"),
    (["--server", "127.0.0.1:1", "--simulate", "2", "--token", "t", "--interval", "0"], "--interval"),
])
def test_bad_usage_exits_64_with_one_clear_line(args, message):
    result = subprocess.run([str(BIN / "palisade-enforcer"), *args], capture_output=True, text=True, timeout=30)
    assert result.returncode == 64, (args, result.returncode, result.stderr)
    assert message in result.stderr and result.stderr.count("\n") == 1, result.stderr


def test_help_is_printed_and_exits_0():
    for flag in ("--help", "-h"):
        result = subprocess.run([str(BIN / "palisade-enforcer"), flag], capture_output=True, text=True, timeout=30)
        assert result.returncode == 0 and "--simulate" in result.stdout, result.stdout
