"""Events, enforcers, topology and the dashboard over data as enforcers will leave it."""
import pytest

ENFORCER = "6f1c1a52-8d7e-4c55-9b0e-0d7a1b2c3d4e"


@pytest.fixture(scope="module")
def observed(server):
    server.database.sql(f"""
        INSERT INTO hosts (id, name, facts) VALUES ('node-a', 'node-a', '{{"kernel": "6.1"}}');
        INSERT INTO enforcers (id, host_id, hostname, version, certificate_serial, certificate_sha256,
                               certificate_expires, applied_revision, last_seen_at)
        VALUES ('{ENFORCER}', 'node-a', 'node-a', '1.0.0', 'serial-1', 'sha-1', now() + interval '1 day', 0, now()),
               ('7f1c1a52-8d7e-4c55-9b0e-0d7a1b2c3d4e', NULL, 'node-b', '1.0.0', 'serial-2', 'sha-2',
                now() + interval '1 day', 0, now() - interval '10 minutes');
        INSERT INTO workloads (id, host_id, name, namespace, labels, image, addresses) VALUES
          ('wa', 'node-a', 'frontend', 'shop', '{{"app": "frontend"}}', 'shop/frontend:2', '{{10.9.0.1}}'),
          ('wb', 'node-a', 'orders', 'shop', '{{"app": "orders"}}', 'shop/orders:7', '{{10.9.0.2}}'),
          ('wc', 'node-a', 'ledger', 'finance', '{{"app": "ledger"}}', 'fin/ledger:1', '{{10.9.0.3}}');
        INSERT INTO conversations (source_id, destination_id, port, protocol, application, bytes, sessions,
                                   last_action, last_seen_at) VALUES
          ('wa', 'wb', 8080, 'tcp', 'HTTP', 1000, 10, 'allow', now() - interval '5 minutes'),
          ('wa', 'wb', 8443, 'tcp', 'SSL', 500, 5, 'allow', now() - interval '1 minute'),
          ('wb', 'wc', 5432, 'tcp', 'PostgreSQL', 300, 3, 'deny', now() - interval '2 minutes'),
          ('wb', '203.0.113.7', 443, 'tcp', 'SSL', 70, 1, 'allow', now() - interval '3 minutes'),
          ('wc', 'wa', 9999, 'tcp', '', 1, 1, 'deny', now() - interval '3 days');
        INSERT INTO events (occurred_at, kind, severity, enforcer_id, host_id, workload_id, group_name, action, summary)
        SELECT now() - (n || ' minutes')::interval, 'network_violation',
               (ARRAY['low','medium','high','critical'])[1 + n % 4], '{ENFORCER}', 'node-a',
               (ARRAY['wa','wb'])[1 + n % 2], 'shop', 'deny', 'Denied connection #' || n
        FROM generate_series(1, 30) n;
        INSERT INTO events (occurred_at, kind, severity, host_id, workload_id, summary)
        VALUES (now() - interval '2 minutes', 'threat', 'critical', 'node-a', 'wc', 'SQL injection from 203.0.113.7'),
               (now() - interval '3 days', 'process', 'high', 'node-a', 'wc', 'Old unexpected shell');
    """)
    with server.admin() as c:
        assert c.post("/v1/groups", json={"name": "shop", "policy_mode": "protect",
                                          "criteria": [{"key": "namespace", "op": "eq", "value": "shop"}]}).status_code == 201
    return server


def all_pages(c, path, **params):
    items, cursor = [], None
    while True:
        body = c.get(path, params={**params, **({"cursor": cursor} if cursor else {})}).json()
        items += body["items"]
        cursor = body["next_cursor"]
        if not cursor:
            return items


def test_events_page_newest_first_and_filter(observed):
    with observed.admin() as c:
        events = all_pages(c, "/v1/events", limit=7)
        assert len(events) == 32 and len({e["id"] for e in events}) == 32
        times = [e["occurred_at"] for e in events]
        assert times == sorted(times, reverse=True)
        assert {e["severity"] for e in c.get("/v1/events", params={"severity": "high"}).json()["items"]} == {"high"}
        severe = all_pages(c, "/v1/events", min_severity="high")
        assert {e["severity"] for e in severe} == {"high", "critical"} and len(severe) == 17
        assert [e["summary"] for e in c.get("/v1/events", params={"kind": "threat"}).json()["items"]] == [
            "SQL injection from 203.0.113.7"]
        assert len(all_pages(c, "/v1/events", workload="wa", group="shop")) == 15
        assert [e["summary"] for e in c.get("/v1/events", params={"text": "sql INJECTION"}).json()["items"]] == [
            "SQL injection from 203.0.113.7"]
        recent = all_pages(c, "/v1/events", since=events[9]["occurred_at"])
        assert len(recent) >= 10 and "Old unexpected shell" not in [e["summary"] for e in recent]
        assert all_pages(c, "/v1/events", host="node-z") == []


def test_enforcers_show_state_and_revision_lag_and_can_be_revoked(observed):
    with observed.admin() as c:
        enforcers = {e["hostname"]: e for e in c.get("/v1/enforcers").json()["items"]}
        assert enforcers["node-a"]["state"] == "connected" and enforcers["node-b"]["state"] == "disconnected"
        assert enforcers["node-a"]["revision_lag"] >= 1
        assert [e["hostname"] for e in c.get("/v1/enforcers", params={"state": "connected"}).json()["items"]] == ["node-a"]
        revoked = c.post(f"/v1/enforcers/{ENFORCER}/revoke")
        assert revoked.status_code == 200 and revoked.json()["state"] == "revoked"
        assert c.get(f"/v1/enforcers/{ENFORCER}").json()["revoked_at"] is not None


def test_join_tokens_show_their_secret_once(observed):
    with observed.admin() as c:
        created = c.post("/v1/enforcer-tokens", json={"ttl_seconds": 3600, "max_uses": 5})
        assert created.status_code == 201 and created.json()["token"].startswith("plj_")
        token = created.json()
        listed = {t["id"]: t for t in c.get("/v1/enforcer-tokens").json()["items"]}
        assert token["id"] in listed and "token" not in listed[token["id"]]
        assert listed[token["id"]]["max_uses"] == 5 and listed[token["id"]]["uses"] == 0
        assert c.delete(f"/v1/enforcer-tokens/{token['id']}").status_code == 204
        assert {t["id"]: t for t in c.get("/v1/enforcer-tokens").json()["items"]}[token["id"]]["revoked_at"]


def test_topology_folds_conversations_into_edges(observed):
    with observed.admin() as c:
        topology = c.get("/v1/topology").json()
        nodes = {n["id"]: n for n in topology["nodes"]}
        assert nodes["wa"]["kind"] == "workload" and nodes["wa"]["policy_mode"] == "protect"
        assert nodes["203.0.113.7"]["kind"] == "address"
        edges = {(e["from"], e["to"]): e for e in topology["edges"]}
        web = edges[("wa", "wb")]
        assert web["ports"] == ["tcp/8080", "tcp/8443"] and web["applications"] == ["HTTP", "SSL"]
        assert web["bytes"] == 1500 and web["sessions"] == 15 and web["last_action"] == "allow"
        assert edges[("wb", "wc")]["last_action"] == "deny"
        assert ("wc", "wa") not in edges  # older than the default 24-hour window
        finance = c.get("/v1/topology", params={"namespace": "finance"}).json()
        assert {(e["from"], e["to"]) for e in finance["edges"]} == {("wb", "wc")}
        groups = c.get("/v1/topology", params={"view": "groups"}).json()
        assert {n["id"] for n in groups["nodes"]} >= {"group:shop", "wc", "203.0.113.7"}
        assert any(e["from"] == "group:shop" and e["to"] == "group:shop" for e in groups["edges"])


def test_dashboard_counts_ranks_and_scores(observed):
    with observed.admin() as c:
        dashboard = c.get("/v1/dashboard").json()
        assert len(dashboard["buckets"]) == 24 and dashboard["bucket_seconds"] == 3600
        assert dashboard["totals"]["by_kind"] == {"network_violation": 30, "threat": 1}
        assert sum(b["by_severity"].get("critical", 0) for b in dashboard["buckets"]) == 8
        assert dashboard["top_workloads"][0]["violations"] == 15
        assert dashboard["top_groups"] == [{"id": "shop", "name": "shop", "violations": 30}]
        assert dashboard["policy_modes"] == {"discover": 0, "monitor": 0, "protect": 2, "unmanaged": 1}
        risk = dashboard["risk"]
        assert risk["threats"] == 5 and risk["violations"] == 30
        assert 0 <= risk["score"] <= 100
        assert risk["score"] == round(risk["exposure"] + risk["violations"] + risk["threats"] + risk["enforcer_health"])
        week = c.get("/v1/dashboard", params={"window_hours": 168, "bucket_minutes": 1440}).json()
        assert len(week["buckets"]) == 7 and week["totals"]["by_kind"]["process"] == 1
        assert c.get("/v1/dashboard", params={"window_hours": 720, "bucket_minutes": 5}).status_code == 400
