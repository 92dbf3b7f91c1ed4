"""HTTP/1.1 on the cleartext listener: keep-alive, pipelining, h2c, strict parsing, slowloris."""
import socket
import threading
import time

import pytest

from conftest import healthy, tls_socket, wait_until


def plain(testbed, timeout=5):
    return socket.create_connection(("127.0.0.1", testbed.info["plain"]), timeout=timeout)


def read_until_close(sock, limit=1 << 20, timeout=5):
    sock.settimeout(timeout)
    data = b""
    while len(data) < limit:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        data += chunk
    return data


def test_keep_alive_and_pipelining_answer_in_order(testbed):
    sock = plain(testbed)
    sock.sendall(b"".join(b"GET /items/%d HTTP/1.1\r\nHost: x\r\n\r\n" % i for i in range(20)))
    sock.sendall(b"GET /items/last HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    data = read_until_close(sock)
    assert data.count(b"HTTP/1.1 200 OK") == 21
    bodies = [part.split(b"\r\n\r\n", 1)[1][:12] for part in data.split(b"HTTP/1.1 200 OK")[1:]]
    assert bodies[:3] == [b"item 0", b"item 1", b"item 2"] and bodies[-1].startswith(b"item last")


def test_thousands_of_pipelined_requests_in_one_write_are_all_answered(testbed):
    sock = plain(testbed, timeout=20)
    request = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
    sock.sendall(request * 3000 + b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    data = read_until_close(sock, limit=10 << 20, timeout=20)
    assert data.count(b"HTTP/1.1 200 OK") == 3001
    assert testbed.alive()


def test_chunked_request_body_is_reassembled(testbed):
    sock = plain(testbed)
    sock.sendall(b"POST /small HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                 b"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n")
    data = read_until_close(sock)
    assert data.startswith(b"HTTP/1.1 200 OK") and data.endswith(b"\r\n\r\n11")


def test_expect_continue_gets_100_before_the_body(testbed):
    sock = plain(testbed)
    sock.sendall(b"POST /small HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n")
    assert sock.recv(100).startswith(b"HTTP/1.1 100 Continue\r\n\r\n")
    sock.sendall(b"abcd")
    assert b"\r\n\r\n4" in sock.recv(1000)


MALFORMED = {
    "content-length and transfer-encoding": b"POST /small HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "two content-lengths": b"POST /small HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
    "content-length list": b"POST /small HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 5\r\n\r\nhello",
    "negative content-length": b"POST /small HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
    "plus content-length": b"POST /small HTTP/1.1\r\nHost: x\r\nContent-Length: +5\r\n\r\nhello",
    "transfer-encoding gzip, chunked": b"POST /small HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
    "transfer-encoding twice": b"POST /small HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "transfer-encoding with http/1.0": b"POST /small HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "bare LF line endings": b"GET /healthz HTTP/1.1\nHost: x\n\n",
    "bare CR in a header": b"GET /healthz HTTP/1.1\r\nHost: x\rX-Y: z\r\n\r\n",
    "space before colon": b"GET /healthz HTTP/1.1\r\nHost : x\r\n\r\n",
    "obsolete line folding": b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n",
    "NUL in a header value": b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n",
    "missing host": b"GET /healthz HTTP/1.1\r\n\r\n",
    "two hosts": b"GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
    "unknown version": b"GET /healthz HTTP/1.2\r\nHost: x\r\n\r\n",
    "double space in request line": b"GET  /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
    "absolute-form target": b"GET http://evil/healthz HTTP/1.1\r\nHost: x\r\n\r\n",
    "bad chunk size": b"POST /small HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
    "oversized chunk size": b"POST /small HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\n",
    "chunk without CRLF after data": b"POST /small HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n",
    "64 KiB header line": b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 65536 + b"\r\n\r\n",
    "too many headers": b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: y\r\n" % i for i in range(200)) + b"\r\n",
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_request_gets_400_and_close(testbed, name):
    sock = plain(testbed)
    try:
        sock.sendall(MALFORMED[name])
    except (BrokenPipeError, ConnectionResetError):
        pass
    data = read_until_close(sock)
    assert data.startswith(b"HTTP/1.1 400 "), data[:200]
    assert b"connection: close" in data.lower()
    assert b"application/problem+json" in data
    assert testbed.alive() and healthy(testbed.info["tls"])


def test_h2c_upgrade_serves_the_request_over_http2(testbed):
    import h2.config, h2.connection, h2.events
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    settings = conn.initiate_upgrade_connection()  # Already base64url, as HTTP2-Settings wants.
    sock = plain(testbed)
    sock.settimeout(5)
    sock.sendall(b"GET /items/up HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
                 b"HTTP2-Settings: " + settings + b"\r\n\r\n")
    head = b""
    while b"\r\n\r\n" not in head:
        byte = sock.recv(1)
        assert byte, "connection closed during the upgrade"
        head += byte
    assert head.startswith(b"HTTP/1.1 101 Switching Protocols")
    sock.sendall(conn.data_to_send())
    body, ended = b"", False
    while not ended:
        data = sock.recv(65536)
        assert data, "connection closed before the response"
        for event in conn.receive_data(data):
            if isinstance(event, h2.events.DataReceived) and event.stream_id == 1:
                body += event.data
            if isinstance(event, h2.events.StreamEnded) and event.stream_id == 1:
                ended = True
        sock.sendall(conn.data_to_send())
    assert body == b"item up"


def test_slowloris_on_http1_is_timed_out_while_others_are_served(testbed):
    # Header timeout is 2 s in this test bed: drip-fed heads must be cut off, not held forever.
    socks = [plain(testbed) for _ in range(50)]
    for s in socks:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    started = time.monotonic()
    closed = set()
    while len(closed) < len(socks) and time.monotonic() - started < 8:
        for i, s in enumerate(socks):
            if i in closed:
                continue
            try:
                s.sendall(b"a")
                s.settimeout(0.01)
                data = s.recv(4096)
                if data == b"" or data.startswith(b"HTTP/1.1 408"):
                    closed.add(i)
            except socket.timeout:
                pass
            except (BrokenPipeError, ConnectionResetError):
                closed.add(i)
        assert healthy(testbed.info["tls"])
        time.sleep(0.2)
    assert len(closed) == len(socks), f"{len(socks) - len(closed)} slow connections still open"
    assert time.monotonic() - started < 8


def test_slowloris_on_the_tls_handshake_is_timed_out(testbed):
    socks = []
    for i in range(50):
        s = socket.create_connection(("127.0.0.1", testbed.info["tls"]), timeout=5)
        if i % 2:
            s.sendall(b"\x16\x03\x01\x02\x00\x01\x00")  # The start of a ClientHello, then nothing.
        socks.append(s)
    assert healthy(testbed.info["tls"])
    started = time.monotonic()
    for s in socks:
        s.settimeout(max(0.1, 8 - (time.monotonic() - started)))
        try:
            assert s.recv(4096) in (b"",) or True
        except ConnectionResetError:
            pass
    elapsed = time.monotonic() - started
    assert elapsed < 6, f"half-open handshakes held for {elapsed:.1f}s"
    assert healthy(testbed.info["tls"])


def test_h2c_upgrade_with_malformed_settings_is_served_over_http1(testbed):
    sock = plain(testbed)
    sock.sendall(b"GET /items/plain HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings, close\r\n"
                 b"Upgrade: h2c\r\nHTTP2-Settings: AAE\r\n\r\n")
    data = read_until_close(sock)
    assert data.startswith(b"HTTP/1.1 200 OK") and data.endswith(b"item plain")
