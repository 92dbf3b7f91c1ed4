"""palisadectl, the built binary, against a running server: sign-in, resources as tables and
JSON, apply, delete, policy export/import, events tail, and its exit statuses."""
import json
import os
import stat
import subprocess

import pytest

from conftest import ADMIN_PASSWORD, BIN


@pytest.fixture
def ctl(server, tmp_path):
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "config")}
    env.pop("PALISADE_TOKEN", None)

    def run(*args, stdin=None, expect=0, server_url=None):
        result = subprocess.run([str(BIN / "palisadectl"), "--server", server_url or server.url, *args],
                                input=stdin, capture_output=True, text=True, env=env, timeout=60, cwd=tmp_path)
        assert result.returncode == expect, f"{args}: {result.returncode}\n{result.stdout}\n{result.stderr}"
        return result

    run.env = env
    run.config = tmp_path / "config" / "palisade" / "palisadectl.json"
    return run


def login(ctl, server):
    ctl("login", "--ca", server.ca, "--username", "admin", "--password-stdin", stdin=ADMIN_PASSWORD + "\n")


def test_login_keeps_the_token_private_and_whoami_uses_it(ctl, server):
    ctl("whoami", expect=64)  # not signed in yet
    ctl("login", "--ca", server.ca, "--password-stdin", stdin="wrong password here\n", expect=1)
    login(ctl, server)
    mode = stat.S_IMODE(os.stat(ctl.config).st_mode)
    assert mode == 0o600, oct(mode)
    assert stat.S_IMODE(os.stat(ctl.config.parent).st_mode) == 0o700
    stored = json.loads(ctl.config.read_text())
    assert stored["token"].startswith("pls_") and stored["server"] == server.url
    assert ctl("whoami").stdout.strip() == "admin (admin, user)"
    ctl("logout")
    assert "token" not in json.loads(ctl.config.read_text())
    ctl("whoami", expect=64)


def test_resources_round_trip_through_the_cli(ctl, server, tmp_path):
    login(ctl, server)
    (tmp_path / "groups.json").write_text(json.dumps([
        {"name": "cli-web", "policy_mode": "protect", "criteria": [{"key": "namespace", "op": "eq", "value": "shop"}]},
        {"name": "cli-db"}]))
    applied = ctl("apply", "groups", "-f", "groups.json").stdout
    assert "cli-web" in applied and "protect" in applied

    # apply again with a change: replaced, not duplicated
    (tmp_path / "groups.json").write_text(json.dumps({"name": "cli-db", "policy_mode": "monitor"}))
    ctl("apply", "groups", "-f", "groups.json")
    table = ctl("get", "groups").stdout.splitlines()
    assert table[0].split() == ["NAME", "MODE", "LEARNED", "MEMBERS", "CRITERIA"]
    rows = {line.split()[0]: line.split() for line in table[1:]}
    assert rows["cli-db"][1] == "monitor" and rows["cli-web"][4:] == ["namespace", "eq", "shop"]

    rule = json.loads(ctl("create", "rules", "-f", "-", "-o", "json",
                          stdin=json.dumps({"from": "cli-web", "to": "cli-db", "ports": ["tcp/5432"],
                                            "action": "allow"})).stdout)
    assert rule["ports"] == ["tcp/5432"]
    as_json = json.loads(ctl("get", "rules", "-o", "json", "--filter", "group=cli-web").stdout)
    assert [r["id"] for r in as_json] == [rule["id"]]
    one = ctl("get", "rule", str(rule["id"])).stdout.splitlines()
    assert one[0].split()[:3] == ["ID", "FROM", "TO"] and one[1].split()[1:3] == ["cli-web", "cli-db"]
    (tmp_path / "rule.json").write_text(json.dumps({"id": rule["id"], "from": "cli-web", "to": "cli-db",
                                                    "action": "deny"}))
    ctl("apply", "rules", "-f", "rule.json")
    assert json.loads(ctl("get", "rule", str(rule["id"]), "-o", "json").stdout)["action"] == "deny"

    ctl("apply", "process-profile", "cli-db", "-f", "-", stdin=json.dumps({"items": [{"name": "postgres"}]}))
    ctl("delete", "group", "cli-db", expect=1)  # a rule uses it
    ctl("delete", "rule", str(rule["id"]))
    assert "deleted group cli-db" in ctl("delete", "groups", "cli-db").stdout
    ctl("get", "group", "cli-db", expect=1)


def test_policy_export_and_import_with_dry_run(ctl, server, tmp_path):
    login(ctl, server)
    ctl("apply", "groups", "-f", "-", stdin=json.dumps([{"name": "pol-a"}, {"name": "pol-b"}]))
    ctl("create", "rules", "-f", "-", stdin=json.dumps({"from": "pol-a", "to": "pol-b", "action": "allow"}))
    ctl("policy", "export", "-f", "policy.json")
    document = json.loads((tmp_path / "policy.json").read_text())
    assert {"pol-a", "pol-b"} <= {g["name"] for g in document["groups"]}

    document["groups"] = [g for g in document["groups"] if g["name"] != "pol-b"] + [{"name": "pol-c"}]
    document["rules"] = [r for r in document["rules"] if "pol-b" not in (r["from"], r["to"])]
    (tmp_path / "changed.json").write_text(json.dumps(document))
    dry = ctl("policy", "import", "-f", "changed.json", "--dry-run").stdout
    assert "dry run" in dry and "created  group pol-c" in dry and "deleted  group pol-b" in dry
    assert "pol-b" in ctl("get", "groups").stdout
    applied = ctl("policy", "import", "-f", "changed.json").stdout
    assert applied.startswith("applied, revision")
    names = {g["name"] for g in json.loads(ctl("get", "groups", "-o", "json").stdout)}
    assert "pol-c" in names and "pol-b" not in names
    expected = json.loads((tmp_path / "changed.json").read_text())
    expected["groups"] = sorted(expected["groups"], key=lambda g: g["name"])
    expected["groups"] = [{"criteria": [], "learned": False, "policy_mode": "discover", **g} for g in expected["groups"]]
    assert json.loads(ctl("policy", "export").stdout) == expected


def test_secrets_are_printed_once_and_work(ctl, server):
    login(ctl, server)
    out = ctl("api-key", "create", "--name", "cli-key", "--role", "reader").stdout
    secret = next(line.split()[1] for line in out.splitlines() if line.startswith("secret:"))
    assert secret.startswith("plk_") and "expires: never" in out
    env = {**ctl.env, "PALISADE_TOKEN": secret, "XDG_CONFIG_HOME": "/nonexistent"}
    who = subprocess.run([str(BIN / "palisadectl"), "--server", server.url, "--ca", server.ca, "whoami"],
                         capture_output=True, text=True, env=env, timeout=30)
    assert who.returncode == 0 and who.stdout.strip() == "cli-key (reader, api_key)"
    token = json.loads(ctl("enforcer-token", "create", "--ttl", "600", "--max-uses", "3", "-o", "json").stdout)
    assert token["token"].startswith("plj_") and token["max_uses"] == 3
    listed = ctl("get", "enforcer-tokens").stdout
    assert token["id"] in listed and token["token"] not in listed


def test_events_tail_follows_new_events(ctl, server):
    login(ctl, server)
    server.database.sql("INSERT INTO events (occurred_at, kind, severity, summary) "
                        "VALUES (now() - interval '1 minute', 'threat', 'high', 'tail-old')")
    tail = subprocess.Popen([str(BIN / "palisadectl"), "--server", server.url, "events", "tail", "--count", "2",
                             "--interval", "0.3", "--filter", "kind=threat"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ctl.env)
    try:
        first = tail.stdout.readline()
        assert "tail-old" in first, first
        server.database.sql("INSERT INTO events (occurred_at, kind, severity, summary) "
                            "VALUES (now(), 'threat', 'critical', 'tail-new')")
        second = tail.stdout.readline()
        assert "tail-new" in second and "critical" in second
        assert tail.wait(timeout=10) == 0
    finally:
        tail.kill()


@pytest.mark.parametrize("args", [
    [], ["frobnicate"], ["get"], ["get", "nothing"], ["get", "groups", "--bogus", "1"], ["get", "groups", "--limit"],
    ["get", "groups", "--limit", "0"], ["create", "groups"], ["policy"], ["policy", "import"],
    ["events", "tail", "--interval", "0"], ["api-key", "create", "--name", "x"], ["get", "groups", "-o", "yaml"],
    ["delete", "hosts", "h1"],
])
def test_bad_usage_exits_64_with_a_message(ctl, server, args):
    login(ctl, server)
    result = ctl(*args, expect=64)
    assert result.stderr.startswith("palisadectl: ") or "Usage:" in result.stdout


def test_unreadable_input_exits_65_and_an_unreachable_server_69(ctl, server, tmp_path):
    login(ctl, server)
    (tmp_path / "broken.json").write_text("{not json")
    ctl("create", "groups", "-f", "broken.json", expect=65)
    ctl("create", "groups", "-f", "missing.json", expect=65)
    ctl.env["PALISADE_TOKEN"] = "plk_" + "x" * 43
    ctl("get", "groups", expect=69, server_url="https://127.0.0.1:1")
