"""Every route × every kind of caller: the designed status, from one table written here (not
read from the server), so a route registered with the wrong role fails this test."""
import json

import pytest

from conftest import ADMIN_PASSWORD

ANONYMOUS = {("POST", "/v1/auth/login"), ("GET", "/healthz"), ("GET", "/readyz"), ("GET", "/v1/openapi.json")}
RANK = {"reader": 0, "operator": 1, "admin": 2}


def designed_role(method, path):
    """Who may call what, as docs/API.md designs it."""
    if (method, path) in ANONYMOUS:
        return None
    if path.startswith("/v1/users") or path.startswith("/v1/api-keys"):
        return "admin"
    if path.startswith("/v1/auth/"):
        return "reader"
    if path.startswith("/v1/enforcer-tokens"):
        return "operator"
    return "reader" if method == "GET" else "operator"


PLACEHOLDERS = {
    "/v1/users/{name}": "matrix-nobody", "/v1/groups/{name}": "matrix-none",
    "/v1/hosts/{id}": "no-host", "/v1/workloads/{id}": "no-workload",
    "/v1/rules/{id}": "999999", "/v1/response-rules/{id}": "999999",
}


def concrete(path):
    for prefix, value in PLACEHOLDERS.items():
        if path.startswith(prefix):
            return path.replace(prefix.rsplit("/", 1)[1], value)
    return path.replace("{id}", "00000000-0000-4000-8000-000000000000").replace("{name}", "matrix-none")


@pytest.fixture(scope="module")
def credentials(server):
    tokens = {role: server.user(f"matrix-{role}", role) for role in ("reader", "operator")}
    tokens["admin"] = server.admin_token
    expired = server.user("matrix-expired", "admin")
    server.database.sql("UPDATE sessions SET expires_at = now() - interval '1 second' "
                        "WHERE user_id = (SELECT id FROM users WHERE name = 'matrix-expired')")
    with server.admin() as c:
        key = c.post("/v1/api-keys", json={"name": "matrix-revoked", "role": "admin"}).json()
        assert c.delete(f"/v1/api-keys/{key['id']}").status_code == 204
    tokens["expired token"] = expired
    tokens["revoked API key"] = key["secret"]
    tokens["no token"] = None
    return tokens


def operations(server):
    with server.client() as c:
        document = c.get("/v1/openapi.json").json()
    for path, item in sorted(document["paths"].items()):
        for method in sorted(item):
            if method in ("get", "post", "put", "patch", "delete"):
                yield method.upper(), path


class Answer:
    """Status, headers and body of one call; a stream that was let in is closed after its head
    (the event stream never ends by itself)."""

    def __init__(self, response):
        self.status_code = response.status_code
        self.headers = response.headers
        streaming = response.headers.get("content-type", "").startswith("text/event-stream")
        self.text = "" if streaming else response.read().decode()

    def json(self):
        return json.loads(self.text)


def call(server, token, method, path):
    with server.client(token) as c:
        body = None if method in ("GET", "DELETE") else {}
        with c.stream(method, concrete(path), json=body) as response:
            return Answer(response)


def test_every_route_answers_each_caller_as_designed(server, credentials):
    checked = 0
    unauthenticated_answers = set()
    for method, path in operations(server):
        required = designed_role(method, path)
        for caller, token in credentials.items():
            if path == "/v1/auth/logout" and caller in RANK:
                # Logging out ends the session: use a throwaway one so the matrix keeps its tokens.
                token = server.user(f"matrix-{caller}", caller) if caller != "admin" else server.login("admin", ADMIN_PASSWORD)
            response = call(server, token, method, path)
            status = response.status_code
            where = f"{method} {path} as {caller}: {status} {response.text[:200]}"
            if required is None:
                assert status not in (401, 403), where
            elif caller not in RANK:
                assert status == 401, where
                assert response.headers["www-authenticate"] == "Bearer", where
                assert response.json()["code"] == "unauthenticated", where
            elif RANK[caller] < RANK[required]:
                assert status == 403, where
                assert response.json()["code"] == "forbidden", where
            else:
                assert status not in (401, 403) and status < 500, where
            if caller == "no token" and status != 401:
                unauthenticated_answers.add((method, path))
            checked += 1
    assert unauthenticated_answers == ANONYMOUS
    assert checked >= 6 * 50


def test_a_revoked_key_and_an_expired_session_stop_working_immediately(server):
    with server.admin() as c:
        key = c.post("/v1/api-keys", json={"name": "short-lived", "role": "reader"}).json()
    with server.client(key["secret"]) as c:
        assert c.get("/v1/groups").status_code == 200
        assert c.get("/v1/auth/me").json() == {"name": "short-lived", "role": "reader", "kind": "api_key"}
    with server.admin() as c:
        assert c.delete(f"/v1/api-keys/{key['id']}").status_code == 204
        listed = c.get(f"/v1/api-keys/{key['id']}").json()
        assert listed["revoked_at"] is not None and listed["last_used_at"] is not None
    with server.client(key["secret"]) as c:
        assert c.get("/v1/groups").status_code == 401


def test_an_api_key_past_its_expiry_is_refused(server):
    with server.admin() as c:
        key = c.post("/v1/api-keys", json={"name": "expiring", "role": "operator",
                                           "expires_at": "2099-01-01T00:00:00Z"}).json()
        assert key["expires_at"] == "2099-01-01T00:00:00Z"
        assert c.post("/v1/api-keys", json={"name": "past", "role": "reader",
                                            "expires_at": "2001-01-01T00:00:00Z"}).status_code == 400
    server.database.sql(f"UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = '{key['id']}'")
    with server.client(key["secret"]) as c:
        assert c.get("/v1/groups").status_code == 401


def test_an_idle_session_expires_and_logout_ends_a_session(server):
    token = server.user("idle-user", "reader")
    with server.client(token) as c:
        assert c.get("/v1/auth/me").status_code == 200
    server.database.sql("UPDATE sessions SET last_used_at = now() - interval '31 minutes' "
                        "WHERE user_id = (SELECT id FROM users WHERE name = 'idle-user')")
    with server.client(token) as c:
        assert c.get("/v1/auth/me").status_code == 401
    token = server.user("idle-user", "reader")
    with server.client(token) as c:
        assert c.post("/v1/auth/logout").status_code == 204
        assert c.get("/v1/auth/me").status_code == 401
