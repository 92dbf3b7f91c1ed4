"""Every write, and every sign-in attempt, lands in the audit log with who, from where, what and
how it ended."""


def test_every_write_and_every_login_is_audited(server):
    operator = server.user("audited-operator", "operator")
    with server.client() as c:
        assert c.post("/v1/auth/login", json={"username": "admin", "password": "wrong password!"}).status_code == 401
    writes = []
    with server.client(operator) as c:
        def write(method, path, expected, **kwargs):
            r = c.request(method, path, **kwargs)
            assert r.status_code == expected, r.text
            writes.append((method, path, expected))
            return r

        write("POST", "/v1/groups", 201, json={"name": "aud-a"})
        write("POST", "/v1/groups", 201, json={"name": "aud-b"})
        write("PUT", "/v1/groups/aud-b", 200, json={"name": "aud-b", "policy_mode": "protect"})
        rule = write("POST", "/v1/rules", 201, json={"from": "aud-a", "to": "aud-b", "action": "deny"}).json()
        write("PUT", f"/v1/rules/{rule['id']}", 200, json={"from": "aud-a", "to": "aud-b", "action": "allow"})
        write("POST", f"/v1/rules/{rule['id']}/promote", 200)
        write("PUT", "/v1/groups/aud-a/process-profile", 200, json={"items": [{"name": "nginx"}]})
        rr = write("POST", "/v1/response-rules", 201, json={"event_kind": "process", "actions": ["webhook"]}).json()
        write("DELETE", f"/v1/response-rules/{rr['id']}", 204)
        write("POST", "/v1/enforcer-tokens", 201, json={"ttl_seconds": 600, "max_uses": 1})
        write("POST", "/v1/groups", 400, json={"name": "bad name"})
        write("POST", "/v1/users", 403, json={"name": "x", "role": "reader", "password": "long enough password"})
        write("DELETE", f"/v1/rules/{rule['id']}", 204)
        write("POST", "/v1/auth/password", 204,
              json={"current_password": "audited-operator-password-long-enough",
                    "new_password": "audited-operator-password-long-enough"})
    with server.admin() as c:
        entries = []
        cursor = None
        while True:
            body = c.get("/v1/audit", params={"limit": 100, **({"cursor": cursor} if cursor else {})}).json()
            entries += body["items"]
            cursor = body["next_cursor"]
            if not cursor:
                break
        mine = [(e["method"], e["path"], e["status"]) for e in entries if e["actor"] == "audited-operator"]
        for write in writes:
            assert write in mine, f"{write} not audited"
        by_path = {(e["method"], e["path"], e["status"]): e for e in entries if e["actor"] == "audited-operator"}
        created = by_path[("POST", "/v1/groups", 201)]
        assert created["role"] == "operator" and created["source"] == "127.0.0.1"
        assert created["outcome"] == "success" and created["resource"] in ("/v1/groups/aud-a", "/v1/groups/aud-b")
        assert by_path[("POST", "/v1/users", 403)]["outcome"] == "denied"
        assert by_path[("POST", "/v1/groups", 400)]["outcome"] == "failure"
        assert by_path[("POST", "/v1/groups", 400)]["detail"] == {"code": "invalid_field"}

        logins = c.get("/v1/audit", params={"path_prefix": "/v1/auth/login", "actor": "admin"}).json()["items"]
        assert any(e["status"] == 401 and e["outcome"] == "denied" for e in logins)
        assert any(e["status"] == 200 and e["outcome"] == "success" for e in logins)
        assert c.get("/v1/audit", params={"outcome": "denied", "method": "POST"}).json()["items"]
        # Secrets never reach the log.
        text = str(entries)
        assert "password-long-enough" not in text and "plj_" not in text
