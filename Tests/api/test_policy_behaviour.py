"""Policy semantics a console user relies on: rule order, moves and promotion, bulk replace,
group membership from workloads, users and passwords, sign-in throttling."""
import httpx

from conftest import ADMIN_PASSWORD


def ids(c, **params):
    return [rule["id"] for rule in c.get("/v1/rules", params={"limit": 500, **params}).json()["items"]]


def test_rules_keep_their_order_through_inserts_moves_and_promotion(server):
    with server.admin() as c:
        for name in ("ord-a", "ord-b"):
            assert c.post("/v1/groups", json={"name": name}).status_code == 201
        rule = {"from": "ord-a", "to": "ord-b", "action": "allow"}
        first = c.post("/v1/rules", json={**rule, "ports": ["tcp/1"]}).json()["id"]
        last = c.post("/v1/rules", json={**rule, "ports": ["tcp/3"]}).json()["id"]
        middle = c.post("/v1/rules", params={"after": first}, json={**rule, "ports": ["tcp/2"]}).json()["id"]
        top = c.post("/v1/rules", params={"before": first}, json={**rule, "ports": ["tcp/9"]}).json()["id"]
        assert ids(c, group="ord-a") == [top, first, middle, last]
        # Many inserts into the same gap force a renumbering; order survives it.
        squeezed = [c.post("/v1/rules", params={"after": top}, json={**rule, "ports": [f"udp/{n}"]}).json()["id"]
                    for n in range(1, 60)]
        assert ids(c, group="ord-a") == [top] + squeezed[::-1] + [first, middle, last]
        moved = c.post(f"/v1/rules/{last}/move", json={"before": top})
        assert moved.status_code == 200, moved.text
        assert ids(c, group="ord-a")[:2] == [last, top]
        assert c.post(f"/v1/rules/{last}/move", json={"before": top, "after": first}).status_code == 400
        assert c.post(f"/v1/rules/{last}/move", json={"before": last}).status_code == 400

        server.database.sql(f"UPDATE network_rules SET learned = true WHERE id = {middle}")
        assert ids(c, learned="true") == [middle]
        promoted = c.post(f"/v1/rules/{middle}/promote").json()
        assert promoted["learned"] is False and ids(c, learned="true") == []

        revision = int(server.database.sql("SELECT revision FROM policy_revision")[0][0])
        replaced = c.put("/v1/rules", json={"items": [{**rule, "ports": ["tcp/443"]}, {**rule, "action": "deny"}]})
        assert replaced.status_code == 204, replaced.text
        rules = c.get("/v1/rules").json()["items"]
        assert [(r["ports"], r["action"]) for r in rules] == [(["tcp/443"], "allow"), (["any"], "deny")]
        assert int(server.database.sql("SELECT revision FROM policy_revision")[0][0]) == revision + 1
        # A group that rules use cannot be deleted out from under them.
        busy = c.delete("/v1/groups/ord-a")
        assert busy.status_code == 409 and "used by 2 rule" in busy.json()["detail"]


def test_group_members_follow_criteria_over_current_workloads(server):
    server.database.sql("""
        INSERT INTO hosts (id, name) VALUES ('node-1', 'node-1');
        INSERT INTO workloads (id, host_id, name, namespace, labels, image, addresses) VALUES
          ('w-web-1', 'node-1', 'web-1', 'shop', '{"app": "web"}', 'registry/shop/web:1', '{10.1.0.5}'),
          ('w-web-2', 'node-1', 'web-2', 'shop', '{"app": "web"}', 'registry/shop/web:1', '{10.1.0.6}'),
          ('w-db-1', 'node-1', 'db-1', 'shop', '{"app": "db"}', 'registry/postgres:15', '{10.2.0.9}');
    """)
    with server.admin() as c:
        web = c.post("/v1/groups", json={"name": "shop-web", "policy_mode": "protect", "criteria": [
            {"key": "namespace", "op": "eq", "value": "shop"}, {"key": "label", "op": "eq", "value": "app=web"}]})
        assert web.json()["member_count"] == 2
        net = c.post("/v1/groups", json={"name": "db-net", "criteria": [
            {"key": "address", "op": "eq", "value": "10.2.0.0/16"}]}).json()
        assert net["member_count"] == 1
        members = c.get("/v1/workloads", params={"group": "shop-web"}).json()["items"]
        assert [w["id"] for w in members] == ["w-web-1", "w-web-2"]
        assert members[0]["groups"] == ["shop-web"] and members[0]["policy_mode"] == "protect"
        assert members[0]["addresses"] == ["10.1.0.5"] and members[0]["labels"] == {"app": "web"}
        changed = c.put("/v1/groups/shop-web", json={"name": "shop-web", "criteria": [
            {"key": "name", "op": "eq", "value": "web-2"}]})
        assert changed.json()["member_count"] == 1
        assert c.get("/v1/hosts/node-1").json()["workload_count"] == 3
        assert c.get("/v1/workloads", params={"namespace": "nowhere"}).json()["items"] == []


def test_users_passwords_and_the_last_admin(server):
    with server.admin() as c:
        created = c.post("/v1/users", json={"name": "carol", "role": "operator",
                                            "password": "carol-first-password"})
        assert created.status_code == 201 and created.json()["role"] == "operator"
        assert c.post("/v1/users", json={"name": "carol", "role": "reader",
                                         "password": "another-password-1"}).status_code == 409
        assert c.post("/v1/users", json={"name": "dave", "role": "reader",
                                         "password": "dave"}).status_code == 400
    carol = server.login("carol", "carol-first-password")
    other_session = server.login("carol", "carol-first-password")
    with server.client(carol) as c:
        wrong = c.post("/v1/auth/password", json={"current_password": "nope-nope-nope",
                                                  "new_password": "carol-second-password"})
        assert wrong.status_code == 403
        assert c.post("/v1/auth/password", json={"current_password": "carol-first-password",
                                                 "new_password": "carol-second-password"}).status_code == 204
        assert c.get("/v1/auth/me").status_code == 200  # this session stays
    with server.client(other_session) as c:
        assert c.get("/v1/auth/me").status_code == 401  # every other session ended
    server.login("carol", "carol-second-password")

    with server.admin() as c:
        # Disabling ends the user's sessions and stops sign-in.
        disabled = c.patch("/v1/users/carol", json={"disabled": True})
        assert disabled.status_code == 200 and disabled.json()["disabled"] is True
        with server.client() as anonymous:
            assert anonymous.post("/v1/auth/login", json={"username": "carol",
                                                          "password": "carol-second-password"}).status_code == 401
        # The last enabled admin can be neither demoted, disabled nor deleted.
        assert c.patch("/v1/users/admin", json={"role": "reader"}).status_code == 409
        assert c.patch("/v1/users/admin", json={"disabled": True}).status_code == 409
        assert c.delete("/v1/users/admin").status_code == 409
        assert c.delete("/v1/users/carol").status_code == 204
        assert c.get("/v1/users/carol").status_code == 404
        readers = c.get("/v1/users", params={"role": "reader"}).json()["items"]
        assert all(u["role"] == "reader" for u in readers)


def test_sign_in_is_throttled_per_user_with_a_clear_error(server):
    server.user("throttled", "reader")
    with server.client() as c:
        for _ in range(5):
            assert c.post("/v1/auth/login", json={"username": "throttled", "password": "wrong-wrong-wrong"}).status_code == 401
        limited = c.post("/v1/auth/login", json={"username": "throttled", "password": "throttled-password-long-enough"})
        assert limited.status_code == 429
        assert limited.json()["code"] == "rate_limited" and int(limited.headers["retry-after"]) > 0
        # Other users are not locked out by it.
        assert c.post("/v1/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD}).status_code == 200


def test_an_export_filtered_to_one_group_is_marked_and_cannot_be_imported(server):
    with server.admin() as c:
        for name in ("scope-a", "scope-b", "scope-c"):
            assert c.post("/v1/groups", json={"name": name}).status_code == 201
        assert c.post("/v1/rules", json={"from": "scope-a", "to": "scope-b", "action": "allow"}).status_code == 201
        assert c.post("/v1/rules", json={"from": "scope-c", "to": "scope-b", "action": "deny"}).status_code == 201
        assert c.post("/v1/response-rules", json={"event_kind": "file", "actions": ["webhook"], "conditions": [
            {"key": "group", "op": "eq", "value": "scope-a"}]}).status_code == 201
        scoped = c.get("/v1/policy/export", params={"group": "scope-a"}).json()
        assert scoped["scope"] == "scope-a"
        assert [g["name"] for g in scoped["groups"]] == ["scope-a", "scope-b"]
        assert [(r["from"], r["to"]) for r in scoped["rules"]] == [("scope-a", "scope-b")]
        assert [r["event_kind"] for r in scoped["response_rules"]] == ["file"]
        refused = c.post("/v1/policy/import", json=scoped)
        assert refused.status_code == 400 and "'scope'" in refused.json()["detail"]
        assert "scope" not in c.get("/v1/policy/export").json()
        assert c.get("/v1/policy/export", params={"group": "nope"}).status_code == 404
