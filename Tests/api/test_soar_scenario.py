"""A SOAR playbook's view of the API, over HTTP only: an API key, policy built and paged while it
changes, and policy moved to another Palisade as code."""
import threading

import pytest

from conftest import new_server


@pytest.fixture(scope="module")
def soar_key(server):
    with server.admin() as c:
        r = c.post("/v1/api-keys", json={"name": "soar-playbook", "role": "operator"})
        assert r.status_code == 201, r.text
        key = r.json()
    assert key["secret"].startswith("plk_") and key["role"] == "operator"
    with server.admin() as c:
        listed = c.get(f"/v1/api-keys/{key['id']}").json()
    assert "secret" not in listed and listed["created_by"] == "admin"
    return key["secret"]


def build_policy(c):
    for name, mode in [("web", "protect"), ("api", "monitor"), ("db", "protect"), ("cache", "discover")]:
        r = c.post("/v1/groups", json={"name": name, "policy_mode": mode,
                                       "criteria": [{"key": "label", "op": "eq", "value": f"app={name}"}]})
        assert r.status_code == 201, r.text
    for i in range(8):
        assert c.post("/v1/groups", json={"name": f"svc-{i:02}"}).status_code == 201
    ids = []
    for i in range(120):
        r = c.post("/v1/rules", json={"from": f"svc-{i % 8:02}", "to": ["web", "api", "db", "cache"][i % 4],
                                      "ports": [f"tcp/{8000 + i}"], "applications": ["HTTP"], "action": "allow"})
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    r = c.put("/v1/groups/db/process-profile", json={"items": [
        {"name": "postgres", "path": "/usr/lib/postgresql/15/bin/postgres", "user": "postgres"},
        {"name": "sh", "action": "deny"}]})
    assert r.status_code == 200, r.text
    r = c.post("/v1/response-rules", json={"event_kind": "threat", "actions": ["quarantine", "webhook"],
                                           "conditions": [{"key": "group", "op": "eq", "value": "web"}]})
    assert r.status_code == 201, r.text
    return ids


def test_soar_automates_policy_end_to_end(server, soar_key, tmp_path_factory):
    with server.client(soar_key) as c:
        before = set(build_policy(c))

        # Page through the rules (40 per page) while another client keeps inserting rules, at the
        # end and in the middle: every rule that existed before shows up exactly once, in order.
        stop = threading.Event()
        inserted = []

        def writer():
            with server.client(soar_key) as w:
                n = 0
                while not stop.is_set() and n < 200:
                    where = {"before": min(before)} if n % 2 else {}
                    r = w.post("/v1/rules", params=where, json={"from": "web", "to": "db",
                                                                "ports": [f"udp/{10000 + n}"], "action": "deny"})
                    assert r.status_code == 201, r.text
                    inserted.append(r.json()["id"])
                    n += 1

        thread = threading.Thread(target=writer)
        thread.start()
        seen, pages, cursor = [], 0, None
        try:
            while True:
                params = {"limit": 40, **({"cursor": cursor} if cursor else {})}
                page = c.get("/v1/rules", params=params)
                assert page.status_code == 200, page.text
                body = page.json()
                seen += [rule["id"] for rule in body["items"]]
                pages += 1
                cursor = body["next_cursor"]
                if cursor is None:
                    break
        finally:
            stop.set()
            thread.join()
        assert pages >= 3
        assert len(seen) == len(set(seen)), "a rule appeared twice"
        assert before <= set(seen), f"missing: {before - set(seen)}"
        assert inserted, "the writer never ran alongside the pages"

        # Groups page the same way.
        names, cursor = [], None
        while True:
            body = c.get("/v1/groups", params={"limit": 5, **({"cursor": cursor} if cursor else {})}).json()
            names += [g["name"] for g in body["items"]]
            cursor = body["next_cursor"]
            if not cursor:
                break
        assert names == sorted(names) and len(names) == 12

        # Keep the exported policy small and deterministic: drop what the writer added.
        for rule_id in inserted:
            assert c.delete(f"/v1/rules/{rule_id}").status_code == 204
        exported = c.get("/v1/policy/export")
        assert exported.status_code == 200 and exported.headers["etag"]
        document = exported.json()
    assert document["version"] == 1
    assert len(document["groups"]) == 12 and len(document["rules"]) == 120
    assert document["process_profiles"][0]["group"] == "db"

    # Into a fresh Palisade: dry run first (nothing changes), then for real, then the same export.
    other, other_db = new_server(tmp_path_factory)
    try:
        with other.admin() as c:
            empty = c.get("/v1/policy/export").json()
            dry = c.post("/v1/policy/import", params={"dry_run": "true"}, json=document)
            assert dry.status_code == 200, dry.text
            report = dry.json()
            assert report["dry_run"] is True and report["applied"] is False
            assert len(report["diff"]["groups"]["created"]) == 12
            assert len(report["diff"]["rules"]["created"]) == 120
            assert report["diff"]["rules"]["deleted"] == []
            assert c.get("/v1/policy/export").json() == empty

            applied = c.post("/v1/policy/import", json=document)
            assert applied.status_code == 200, applied.text
            assert applied.json()["applied"] is True
            assert applied.json()["revision"] > report["revision"]
            assert c.get("/v1/policy/export").json() == document

            # Importing the same document again changes nothing.
            again = c.post("/v1/policy/import", json=document).json()
            assert again["applied"] is False and all(
                not any(kind.values()) for kind in again["diff"].values())
    finally:
        other.stop()
        other_db.drop()


def test_idempotency_key_replays_the_first_answer(server, soar_key):
    with server.client(soar_key, **{"idempotency-key": "playbook-run-42"}) as c:
        first = c.post("/v1/groups", json={"name": "idempotent"})
        assert first.status_code == 201, first.text
        second = c.post("/v1/groups", json={"name": "idempotent"})
        assert second.status_code == 201 and second.json() == first.json()
        assert second.headers.get("idempotent-replayed") == "true"
        reused = c.post("/v1/groups", json={"name": "idempotent-other"})
        assert reused.status_code == 422 and reused.json()["code"] == "idempotency_key_reused"
    with server.client(soar_key) as c:
        assert c.get("/v1/groups/idempotent-other").status_code == 404


def test_if_match_makes_updates_safe_under_concurrency(server, soar_key):
    with server.client(soar_key) as c:
        created = c.post("/v1/groups", json={"name": "etagged"})
        etag = created.headers["etag"]
        assert c.get("/v1/groups/etagged").headers["etag"] == etag
        changed = c.put("/v1/groups/etagged", headers={"if-match": etag},
                        json={"name": "etagged", "policy_mode": "monitor"})
        assert changed.status_code == 200, changed.text
        stale = c.put("/v1/groups/etagged", headers={"if-match": etag},
                      json={"name": "etagged", "policy_mode": "protect"})
        assert stale.status_code == 412 and stale.json()["code"] == "precondition_failed"
        assert c.get("/v1/groups/etagged").json()["policy_mode"] == "monitor"
        assert c.delete("/v1/groups/etagged", headers={"if-match": etag}).status_code == 412
        assert c.delete("/v1/groups/etagged", headers={"if-match": changed.headers["etag"]}).status_code == 204
