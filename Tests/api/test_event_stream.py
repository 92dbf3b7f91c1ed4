"""GET /v1/events/stream: Server-Sent Events of committed events, with Last-Event-ID resume,
filters, authentication, and streams that end when their session does."""
import json
import socket
import threading
import time

import pytest


def insert_event(server, kind="network_violation", severity="high", summary="probe"):
    rows = server.database.sql(
        "WITH added AS (INSERT INTO events (occurred_at, kind, severity, workload_id, group_name, action, summary) "
        f"VALUES (now(), '{kind}', '{severity}', 'wl-1', 'web', 'deny', '{summary}') RETURNING id) SELECT id FROM added")
    return int(rows[0][0])


class Stream:
    """Reads SSE frames from an open response on a thread, so the test can wait with a bound.
    Only the reader thread closes the response: closing it under a blocked read from another
    thread can close the same descriptor twice, and the second close hits whatever reused it."""

    def __init__(self, client, params=None, headers=None):
        self.frames = []
        self.comments = []
        self.status = None
        self.ended = threading.Event()
        self.opened = threading.Event()
        self._context = client.stream("GET", "/v1/events/stream", params=params or {}, headers=headers or {},
                                      timeout=None)
        self.response = self._context.__enter__()
        self.status = self.response.status_code
        self._socket = self.response.extensions["network_stream"].get_extra_info("socket")
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self):
        frame = {}
        try:
            for line in self.response.iter_lines():
                if line == "":
                    if frame:
                        self.frames.append(frame)
                    frame = {}
                elif line.startswith(":"):
                    self.comments.append(line)
                else:
                    name, _, value = line.partition(": ")
                    frame[name] = value
        except Exception:  # the test shut the socket down
            pass
        self.ended.set()
        self._context.__exit__(None, None, None)

    def events(self):
        return [json.loads(f["data"]) for f in list(self.frames) if f.get("event") == "event"]

    def wait_for(self, count, timeout=10):
        deadline = time.time() + timeout
        while time.time() < deadline and len(self.events()) < count:
            time.sleep(0.05)
        return self.events()

    def close(self):
        """Ends the stream: a shutdown wakes the blocked reader, which then closes the response."""
        if not self.ended.is_set():
            try:
                self._socket.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._thread.join(10)
        assert not self._thread.is_alive(), "the reader did not stop"


def test_needs_a_credential(server):
    with server.client() as c:
        r = c.get("/v1/events/stream")
        assert r.status_code == 401
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["code"] == "unauthenticated"


@pytest.mark.parametrize("value", ["abc", "-1", "1" * 25, "1.5"])
def test_a_bad_last_event_id_is_refused(server, value):
    with server.admin() as c:
        r = c.get("/v1/events/stream", headers={"last-event-id": value})
        assert r.status_code == 400
        body = r.json()
        assert body["code"] == "invalid_field" and "Last-Event-ID" in body["detail"]


def test_new_events_arrive_as_they_commit(server):
    with server.admin() as c:
        stream = Stream(c)
        try:
            assert stream.status == 200
            assert stream.response.headers["content-type"].startswith("text/event-stream")
            time.sleep(0.3)
            started = time.time()
            first = insert_event(server, summary="first live")
            second = insert_event(server, summary="second live")
            events = stream.wait_for(2)
            assert time.time() - started < 5
            assert [e["id"] for e in events] == [first, second]
            assert events[0]["summary"] == "first live" and events[0]["kind"] == "network_violation"
            assert events[0]["group"] == "web" and events[0]["action"] == "deny"
            assert [f["id"] for f in stream.frames if "id" in f] == [str(first), str(second)]
        finally:
            stream.close()


def test_a_reconnect_with_last_event_id_gets_what_it_missed_once(server):
    seen = insert_event(server, summary="seen before the drop")
    missed = [insert_event(server, summary=f"missed {i}") for i in range(3)]
    with server.admin() as c:
        stream = Stream(c, headers={"last-event-id": str(seen)})
        try:
            events = stream.wait_for(3)
            assert [e["id"] for e in events][:3] == missed
            live = insert_event(server, summary="after the reconnect")
            events = stream.wait_for(4)
            assert [e["id"] for e in events] == missed + [live]  # nothing twice
        finally:
            stream.close()


def test_filters_pass_only_matching_events(server):
    with server.admin() as c:
        stream = Stream(c, params={"kind": "process", "min_severity": "high"})
        try:
            time.sleep(0.3)
            insert_event(server, kind="network_violation", severity="critical")
            insert_event(server, kind="process", severity="low")
            wanted = insert_event(server, kind="process", severity="critical")
            events = stream.wait_for(1)
            time.sleep(2.5)  # one more poll interval: nothing else may follow
            assert [e["id"] for e in stream.events()] == [wanted] == [e["id"] for e in events]
        finally:
            stream.close()
    with server.admin() as c:
        assert c.get("/v1/events/stream", params={"kind": "nonsense"}).status_code == 400


def test_a_stream_ends_soon_after_its_session_is_signed_out(server):
    token = server.user("stream-reader", "reader")
    with server.client(token) as c:
        stream = Stream(c)
        try:
            assert stream.status == 200
            with server.client(token) as other:
                assert other.post("/v1/auth/logout").status_code == 204
            # Callers are re-checked at every heartbeat (15 s).
            assert stream.ended.wait(25), "the stream outlived its session"
        finally:
            stream.close()
