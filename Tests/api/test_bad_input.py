"""Bad input gets a clear 4xx problem naming what is wrong, and changes nothing."""
import json

import pytest

RULE = {"from": "web", "to": "db", "action": "allow"}


def nested(depth):
    return '{"name":"deep","comment":' + "[" * depth + "]" * depth + "}"


CASES = [
    # (name, method, path, body (str = raw bytes, else JSON), status, code, detail fragment)
    ("malformed JSON", "POST", "/v1/groups", '{"name":', 400, "malformed_json", "not valid JSON"),
    ("not UTF-8", "POST", "/v1/groups", b'{"name":"\xff\xfe"}', 400, "malformed_json", "JSON"),
    ("empty body", "POST", "/v1/groups", "", 400, "malformed_json", "body is required"),
    ("array instead of object", "POST", "/v1/groups", [1, 2], 400, "invalid_field", "'body' must be an object"),
    ("wrong type", "POST", "/v1/groups", {"name": 5}, 400, "invalid_field", "'name' must be a string"),
    ("null for required", "POST", "/v1/rules", {**RULE, "from": None}, 400, "invalid_field", "'from'"),
    ("unknown field", "POST", "/v1/groups", {"name": "x", "colour": "red"}, 400, "invalid_field",
     "'colour' is not a known field"),
    ("unknown nested field", "POST", "/v1/groups",
     {"name": "x", "criteria": [{"key": "name", "op": "eq", "value": "a", "regex": True}]}, 400, "invalid_field",
     "'criteria[0].regex' is not a known field"),
    ("missing field", "POST", "/v1/rules", {"from": "web", "to": "db"}, 400, "invalid_field", "'action' is required"),
    ("oversize body", "POST", "/v1/groups", {"name": "big", "comment": "x" * 70_000}, 413, "payload_too_large",
     "larger than"),
    ("10,000 criteria", "POST", "/v1/groups",
     {"name": "many", "criteria": [{"key": "name", "op": "eq", "value": "a"}] * 10_000}, 413, "payload_too_large",
     "bytes"),
    ("10,000 ports", "PUT", "/v1/rules", {"items": [{**RULE, "ports": ["tcp/80"] * 10_000}]}, 400, "invalid_field",
     "'items[0].ports' has more than 32 items"),
    ("10,001 rules", "PUT", "/v1/rules", {"items": [RULE] * 10_001}, 400, "invalid_field",
     "'items' has more than 10000 items"),
    ("deep nesting", "POST", "/v1/groups", nested(100), 400, "malformed_json", "deeper than 32"),
    ("port zero", "POST", "/v1/rules", {**RULE, "ports": ["tcp/0"]}, 400, "invalid_field", "'ports[0]'"),
    ("port too high", "POST", "/v1/rules", {**RULE, "ports": ["tcp/70000"]}, 400, "invalid_field", "'ports[0]'"),
    ("unknown protocol", "POST", "/v1/rules", {**RULE, "ports": ["tcp/80", "http/80"]}, 400, "invalid_field",
     "'ports[1]'"),
    ("any with others", "POST", "/v1/rules", {**RULE, "ports": ["any", "tcp/80"]}, 400, "invalid_field",
     "cannot combine 'any'"),
    ("bad CIDR", "POST", "/v1/groups", {"name": "c", "criteria": [{"key": "address", "op": "eq", "value": "10.0.0.0/33"}]},
     400, "invalid_field", "'criteria[0].value' must be an IP address or CIDR"),
    ("bad address", "POST", "/v1/groups", {"name": "c", "criteria": [{"key": "address", "op": "eq", "value": "300.1.1.1"}]},
     400, "invalid_field", "'criteria[0].value'"),
    ("regex-like value", "POST", "/v1/groups", {"name": "r", "criteria": [{"key": "image", "op": "eq", "value": "nginx.*"}]},
     400, "invalid_field", "not patterns"),
    ("regex-like application", "POST", "/v1/rules", {**RULE, "applications": ["HTTP|DNS"]}, 400, "invalid_field",
     "'applications[0]'"),
    ("unknown enum value", "POST", "/v1/groups", {"name": "m", "policy_mode": "block"}, 400, "invalid_field",
     "must be one of: discover, monitor, protect"),
    ("bad group name", "POST", "/v1/groups", {"name": "two words"}, 400, "invalid_field", "'name'"),
    ("unknown group reference", "POST", "/v1/rules", {**RULE, "to": "ghost"}, 400, "invalid_field",
     "'to' names unknown group 'ghost'"),
    ("unknown group in bulk", "PUT", "/v1/rules", {"items": [RULE, {**RULE, "from": "ghost"}]}, 400, "invalid_field",
     "'items[1].from' names unknown group"),
    ("unknown placement rule", "POST", "/v1/rules?before=987654", RULE, 400, "invalid_field", "'before' names no rule"),
    ("import with dangling rule", "POST", "/v1/policy/import",
     {"version": 1, "groups": [{"name": "a"}], "rules": [{"from": "a", "to": "b", "action": "deny"}],
      "process_profiles": [], "response_rules": []}, 400, "invalid_field", "'rules[0].to' names unknown group 'b'"),
    ("import of a future version", "POST", "/v1/policy/import",
     {"version": 2, "groups": [], "rules": [], "process_profiles": [], "response_rules": []}, 400, "invalid_field",
     "'version'"),
    ("import of a filtered export", "POST", "/v1/policy/import",
     {"version": 1, "scope": "web", "groups": [{"name": "web"}], "rules": [], "process_profiles": [],
      "response_rules": []}, 400, "invalid_field", "'scope' marks an export filtered to one group"),
    ("suppress with others", "POST", "/v1/response-rules", {"event_kind": "threat", "actions": ["suppress", "webhook"]},
     400, "invalid_field", "cannot combine 'suppress'"),
    ("bad severity condition", "POST", "/v1/response-rules",
     {"event_kind": "threat", "actions": ["webhook"], "conditions": [{"key": "severity", "op": "eq", "value": "huge"}]},
     400, "invalid_field", "'conditions[0].value' must be a severity"),
    ("relative process path", "PUT", "/v1/groups/web/process-profile", {"items": [{"name": "sh", "path": "bin/sh"}]},
     400, "invalid_field", "'items[0].path'"),
    ("huge integer", "POST", "/v1/enforcer-tokens", {"ttl_seconds": 10**30, "max_uses": 1}, 400, "invalid_field",
     "'ttl_seconds'"),
    ("ttl out of range", "POST", "/v1/enforcer-tokens", {"ttl_seconds": 5, "max_uses": 1}, 400, "invalid_field",
     "'ttl_seconds' must be between 60 and 2592000"),
    ("malformed date", "POST", "/v1/api-keys", {"name": "k", "role": "reader", "expires_at": "tomorrow"}, 400,
     "invalid_field", "'expires_at' must be an RFC 3339 timestamp"),
    ("short password", "POST", "/v1/users", {"name": "shorty", "role": "reader", "password": "short"}, 400,
     "invalid_field", "'password' must have 12"),
    ("unknown role", "POST", "/v1/users", {"name": "r", "role": "root", "password": "long-enough-password"}, 400,
     "invalid_field", "'role' must be one of"),
    ("limit zero", "GET", "/v1/groups?limit=0", None, 400, "invalid_field", "'limit' must be between 1 and 500"),
    ("limit not a number", "GET", "/v1/rules?limit=ten", None, 400, "invalid_field", "'limit' must be an integer"),
    ("unknown query parameter", "GET", "/v1/events?colour=red", None, 400, "invalid_field",
     "'colour' is not a query parameter"),
    ("forged cursor", "GET", "/v1/rules?cursor=bm90LWEtY3Vyc29y", None, 400, "invalid_field", "'cursor'"),
    ("bad time filter", "GET", "/v1/events?since=yesterday", None, 400, "invalid_field", "'since'"),
    ("oversized idempotency key", "POST", "/v1/groups", {"name": "idem"}, 400, "invalid_field", "Idempotency-Key"),
]


def snapshot(server):
    with server.admin() as c:
        return {
            "policy": c.get("/v1/policy/export").json(),
            "users": c.get("/v1/users").json(),
            "keys": c.get("/v1/api-keys").json(),
            "tokens": c.get("/v1/enforcer-tokens").json(),
            "revision": server.database.sql("SELECT revision FROM policy_revision"),
        }


@pytest.fixture(scope="module")
def seeded(server):
    with server.admin() as c:
        for name in ("web", "db"):
            assert c.post("/v1/groups", json={"name": name}).status_code == 201
        assert c.post("/v1/rules", json=RULE).status_code == 201
    return server


@pytest.mark.parametrize("case", CASES, ids=[case[0] for case in CASES])
def test_bad_input_gets_a_clear_problem_and_writes_nothing(seeded, case):
    name, method, path, body, status, code, fragment = case
    before = snapshot(seeded)
    headers = {"idempotency-key": "k" * 200} if name == "oversized idempotency key" else {}
    if isinstance(body, (str, bytes)):
        content = body.encode() if isinstance(body, str) else body
    else:
        content = None if body is None else json.dumps(body).encode()
    with seeded.admin(**headers) as c:
        r = c.request(method, path, content=content, headers={"content-type": "application/json"})
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    problem = r.json()
    assert problem["code"] == code and problem["status"] == status, problem
    assert fragment in problem["detail"], problem["detail"]
    assert snapshot(seeded) == before
