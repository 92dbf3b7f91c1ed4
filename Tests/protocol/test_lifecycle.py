"""Graceful shutdown under load and file-descriptor hygiene, against the test bed binary."""
import signal
import subprocess
import socket
import threading
import time

import httpx

from conftest import H2Client, healthy, start_testbed, wait_until
from rawh2 import RawH2


def test_sigterm_during_1000_in_flight_requests_completes_them_and_exits_0(certs):
    server = start_testbed(certs)
    port = server.info["tls"]
    # Raw frames, not the h2 library: it treats any GOAWAY as the end of the connection, while a
    # graceful GOAWAY still lets streams at or below its last stream id finish.
    clients = [RawH2(port, timeout=20) for _ in range(10)]
    stream_ids = range(1, 201, 2)
    for client in clients:
        for sid in stream_ids:
            assert client.request(sid, "/sleep?ms=1500")
    time.sleep(0.5)  # Let every request reach its handler.
    server.popen.send_signal(signal.SIGTERM)

    completed = refused = 0
    for client in clients:
        client.read_for(20, stop=lambda: all(
            sid in client.ended or (client.goaway_last_stream() or 1 << 31) < sid for sid in stream_ids))
        assert client.goaway_code() == 0, "no graceful GOAWAY"
        for sid in stream_ids:
            if sid in client.ended:
                assert client.status[sid] == 200
                completed += 1
            else:
                # Unprocessed, and the GOAWAY says so: the client may retry it elsewhere.
                assert sid > client.goaway_last_stream(), f"stream {sid} was dropped"
                refused += 1
        client.close()
    assert completed + refused == 1000
    assert completed == 1000, f"{refused} in-flight requests were not completed"
    assert server.popen.wait(timeout=20) == 0


def test_sigterm_sends_goaway_and_new_connections_are_refused(certs):
    server = start_testbed(certs)
    port = server.info["tls"]
    client = RawH2(port)
    client.request(1, "/sleep?ms=1000")
    time.sleep(0.2)
    server.popen.send_signal(signal.SIGTERM)
    client.read_for(5, stop=lambda: 1 in client.ended)
    assert client.goaway_code() == 0 and client.goaway_last_stream() == 1
    assert client.status[1] == 200
    assert server.popen.wait(timeout=15) == 0
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        connected = True
    except OSError:
        connected = False
    assert not connected


def test_http1_in_flight_request_finishes_with_connection_close_on_sigterm(certs):
    server = start_testbed(certs)
    result = {}

    def call():
        with httpx.Client(verify=False, timeout=10) as c:
            r = c.get(f"https://127.0.0.1:{server.info['tls']}/sleep?ms=800")
            result["status"], result["connection"] = r.status_code, r.headers.get("connection")

    thread = threading.Thread(target=call)
    thread.start()
    time.sleep(0.3)
    server.popen.send_signal(signal.SIGTERM)
    thread.join(15)
    assert result == {"status": 200, "connection": "close"}
    assert server.popen.wait(timeout=15) == 0


def test_no_file_descriptor_leaks_across_many_kinds_of_connection(certs):
    server = start_testbed(certs, handshake_timeout_ms=1000, header_timeout_ms=1000)
    tls, plain = server.info["tls"], server.info["plain"]
    warm = H2Client(tls)  # First use of timers and the task pool opens a few fds for good.
    assert warm.get("/sleep?ms=10")["status"] == 200 and warm.get("/stream?lines=2&interval_ms=10")["ended"]
    warm.close()
    time.sleep(0.5)
    baseline = server.fd_count()

    for round in range(20):
        assert healthy(tls)  # h2 over TLS, closed by us
        with socket.create_connection(("127.0.0.1", plain)) as s:  # HTTP/1.1 keep-alive, closed by us
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            s.recv(4096)
        socket.create_connection(("127.0.0.1", tls)).close()  # TCP only, no handshake
        with socket.create_connection(("127.0.0.1", plain)) as s:  # half a request, then gone
            s.sendall(b"GET /heal")
        c = H2Client(tls)  # streams in flight when the client vanishes
        c.request("/sleep?ms=300")
        c.request("/stream?lines=100&interval_ms=10")
        c.close()
        with socket.create_connection(("127.0.0.1", plain)) as s:  # a malformed request: 400 then close
            s.sendall(b"GET / HTTP/9.9\r\n\r\n")
            s.recv(4096)
        s = socket.create_connection(("127.0.0.1", tls))  # a half-open handshake left to time out
        s.sendall(b"\x16\x03\x01")
        s.close() if round % 2 else None

    assert wait_until(lambda: server.fd_count() == baseline, timeout=10), \
        f"{server.fd_count()} fds open, {baseline} before"
    assert server.stop() == 0


def test_closed_tls_connections_give_their_memory_back_at_once(certs):
    """Closed connections may wait in the timer wheel until their next deadline; their TLS state
    must not wait with them (it did: about 30 KiB each, 300 MB after 10,000 handshakes)."""
    server = start_testbed(certs)
    url = f"https://127.0.0.1:{server.info['tls']}/healthz"

    def storm():
        out = subprocess.run(["h2load", "-n", "2000", "-c", "200", "-m", "5", url],
                             capture_output=True, text=True, timeout=60).stdout
        assert "2000 succeeded" in out, out

    storm()  # allocator arenas and caches reach their working size
    before = server.rss_kib()
    for _ in range(10):  # 2,000 more TLS handshakes and closes
        storm()
    grown = server.rss_kib() - before
    assert grown < 20_000, f"RSS grew by {grown} KiB over 2,000 closed TLS connections"
    assert server.stop() == 0
