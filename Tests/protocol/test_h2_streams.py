"""HTTP/2 and HTTP/1.1 behaviour over real TLS sockets: concurrency, large bodies, streaming."""
import hashlib
import os
import time

import h2.events
import httpx

from conftest import H2Client, tls_socket


def test_100_concurrent_streams_on_one_connection_all_answered(testbed):
    client = H2Client(testbed.info["tls"])
    ids = [client.request(f"/items/{i}") for i in range(100)]
    client.pump(lambda: all(client.responses[i]["ended"] for i in ids), timeout=20)
    assert not client.resets
    for n, stream_id in enumerate(ids):
        assert client.responses[stream_id]["status"] == 200
        assert bytes(client.responses[stream_id]["body"]) == f"item {n}".encode()
    client.close()


def test_concurrent_slow_streams_overlap_instead_of_queueing(testbed):
    client = H2Client(testbed.info["tls"])
    started = time.monotonic()
    ids = [client.request("/sleep?ms=500") for _ in range(50)]
    client.pump(lambda: all(client.responses[i]["ended"] for i in ids), timeout=20)
    elapsed = time.monotonic() - started
    assert all(client.responses[i]["status"] == 200 for i in ids)
    assert elapsed < 5, f"50 concurrent 0.5 s requests took {elapsed:.1f}s: they did not run concurrently"
    client.close()


def send_body_with_flow_control(client, stream_id, body):
    offset = 0
    while offset < len(body):
        window = min(client.conn.local_flow_control_window(stream_id), client.conn.max_outbound_frame_size)
        if window <= 0:
            data = client.sock.recv(65536)
            assert data, "server closed during upload"
            client.handle(client.conn.receive_data(data))
            client.flush()
            continue
        chunk = body[offset:offset + window]
        offset += len(chunk)
        client.conn.send_data(stream_id, chunk, end_stream=offset == len(body))
        client.flush()


def test_8_mib_body_arrives_intact_over_h2(testbed):
    body = os.urandom(8 << 20)
    client = H2Client(testbed.info["tls"])
    stream_id = client.request("/echo", method="POST", body=body, end=False)
    send_body_with_flow_control(client, stream_id, body)
    client.pump(lambda: client.responses[stream_id]["ended"], timeout=60)
    response = client.responses[stream_id]
    assert response["status"] == 200
    assert hashlib.sha256(response["body"]).hexdigest() == hashlib.sha256(body).hexdigest()
    client.close()


def test_8_mib_body_arrives_intact_over_http1_chunked(testbed):
    body = os.urandom(8 << 20)

    def chunks():
        for i in range(0, len(body), 1 << 20):
            yield body[i:i + (1 << 20)]

    with httpx.Client(verify=False, http2=False, timeout=60) as client:
        response = client.post(f"https://127.0.0.1:{testbed.info['tls']}/echo", content=chunks())
    assert response.status_code == 200
    assert response.http_version == "HTTP/1.1"
    assert hashlib.sha256(response.content).hexdigest() == hashlib.sha256(body).hexdigest()


def test_body_over_the_route_limit_gets_413_with_problem_json(testbed):
    client = H2Client(testbed.info["tls"])
    body = b"x" * (70 * 1024)
    stream_id = client.request("/small", method="POST", body=body, end=False)
    client.pump(lambda: client.responses[stream_id]["status"] is not None, timeout=10)
    assert client.responses[stream_id]["status"] == 413
    assert client.responses[stream_id]["headers"]["content-type"] == "application/problem+json"
    client.close()


def test_streamed_lines_arrive_as_written_over_h2(testbed):
    client = H2Client(testbed.info["tls"])
    started = time.monotonic()
    stream_id = client.request("/stream?lines=5&interval_ms=400")
    client.pump(lambda: client.responses[stream_id]["ended"], timeout=20)
    chunks = client.responses[stream_id]["chunks"]
    lines = b"".join(data for _, data in chunks).splitlines()
    assert lines == [b'{"line":%d}' % i for i in range(5)]
    first_arrival = chunks[0][0] - started
    spread = chunks[-1][0] - chunks[0][0]
    assert first_arrival < 1.0, f"first line took {first_arrival:.2f}s: it was held back"
    assert spread > 1.2, f"lines arrived within {spread:.2f}s: they were buffered until the end"
    client.close()


def test_streamed_lines_arrive_as_written_over_http1(testbed):
    arrivals = []
    started = time.monotonic()
    with httpx.Client(verify=False, timeout=20) as client:
        with client.stream("GET", f"https://127.0.0.1:{testbed.info['tls']}/stream?lines=4&interval_ms=400") as response:
            assert response.headers["transfer-encoding"] == "chunked"
            for line in response.iter_lines():
                arrivals.append((time.monotonic() - started, line))
    assert [line for _, line in arrivals] == ['{"line":%d}' % i for i in range(4)]
    assert arrivals[0][0] < 1.0
    assert arrivals[-1][0] - arrivals[0][0] > 0.9


def test_errors_are_problem_json_with_stable_codes(testbed):
    client = H2Client(testbed.info["tls"])
    missing = client.get("/nope")
    assert missing["status"] == 404
    assert b'"code":"not_found"' in missing["body"]
    stream_id = client.request("/fail", method="POST", body=b"{}")
    client.pump(lambda: client.responses[stream_id]["ended"])
    failed = client.responses[stream_id]
    assert failed["status"] == 400 and b'"code":"invalid_field"' in failed["body"]
    wrong_method = client.get("/echo")
    assert wrong_method["status"] == 405
    crashed = client.get("/crash")
    assert crashed["status"] == 500
    assert b'"request_id"' in crashed["body"] and b"CancellationError" not in crashed["body"]
    client.close()


def test_alpn_falls_back_to_http1_when_h2_is_not_offered(testbed):
    sock = tls_socket(testbed.info["tls"], alpn=("http/1.1",))
    assert sock.selected_alpn_protocol() == "http/1.1"
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    assert sock.recv(4096).startswith(b"HTTP/1.1 200 OK\r\n")
    sock.close()
