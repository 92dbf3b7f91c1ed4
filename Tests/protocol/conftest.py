"""Fixtures for protocol, abuse and lifecycle tests against the real binaries on loopback.

The binaries come from `swift build` (PALISADE_BIN_DIR, default .build/debug). Certificates are
made here with the openssl CLI; nothing is fetched.
"""
import json
import os
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from pathlib import Path

import h2.config
import h2.connection
import h2.events
import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(os.environ.get("PALISADE_BIN_DIR", ROOT / ".build" / "debug"))


@pytest.fixture(scope="session", autouse=True)
def embedded_clusters_cleaned_up():
    """Embedded clusters of private test data directories live under /var/lib/palisade/embedded
    (see docs/STORAGE.md); remove the ones this session created so runs do not pile them up."""
    root = Path("/var/lib/palisade/embedded")
    before = set(root.iterdir()) if root.exists() else set()
    yield
    if root.exists():
        for entry in set(root.iterdir()) - before:
            subprocess.run(["rm", "-rf", str(entry)], check=False)


@pytest.fixture(scope="session")
def certs(tmp_path_factory):
    d = tmp_path_factory.mktemp("certs")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
         "-keyout", str(d / "key.pem"), "-out", str(d / "cert.pem"), "-days", "2", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        check=True, capture_output=True)
    return d / "cert.pem", d / "key.pem"


class Process:
    def __init__(self, popen, info):
        self.popen = popen
        self.info = info

    @property
    def pid(self):
        return self.popen.pid

    def rss_kib(self):
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise AssertionError("no VmRSS")

    def fd_count(self):
        return len(os.listdir(f"/proc/{self.pid}/fd"))

    def alive(self):
        return self.popen.poll() is None

    def stop(self, timeout=30):
        if self.alive():
            self.popen.send_signal(signal.SIGTERM)
        return self.popen.wait(timeout=timeout)


def start_testbed(certs, **options):
    cert, key = certs
    args = [str(BIN / "http-testbed"), "--cert", str(cert), "--key", str(key)]
    for name, value in options.items():
        args += ["--" + name.replace("_", "-"), str(value)]
    # stderr goes to a file: a pipe nobody reads would fill up and stall the server's logging.
    log = tempfile.NamedTemporaryFile(prefix="testbed-", suffix=".log", delete=False)
    popen = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=log, text=True)
    line = popen.stdout.readline()
    assert line, "testbed did not start: " + Path(log.name).read_text()
    process = Process(popen, json.loads(line))
    process.log_path = log.name
    return process


@pytest.fixture(scope="module")
def testbed(certs):
    process = start_testbed(certs, handshake_timeout_ms=2000, header_timeout_ms=2000, read_timeout_ms=3000,
                            write_timeout_ms=3000, idle_timeout_ms=15000)
    yield process
    assert process.stop() == 0


def tls_socket(port, alpn=("h2",), timeout=10):
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.set_alpn_protocols(list(alpn))
    raw = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    return context.wrap_socket(raw, server_hostname="localhost")


class H2Client:
    """A small blocking HTTP/2 client over the python `h2` state machine."""

    def __init__(self, port, tls=True, settings=None, timeout=10):
        self.sock = tls_socket(port, timeout=timeout) if tls else socket.create_connection(("127.0.0.1", port), timeout=timeout)
        if tls:
            assert self.sock.selected_alpn_protocol() == "h2"
        self.conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
        self.conn.initiate_connection()
        if settings:
            self.conn.update_settings(settings)
        self.flush()
        self.responses = {}
        self.goaway = None
        self.resets = set()
        self.closed = False

    def flush(self):
        data = self.conn.data_to_send()
        if data:
            self.sock.sendall(data)

    def request(self, path, method="GET", body=None, end=True):
        stream_id = self.conn.get_next_available_stream_id()
        headers = [(":method", method), (":path", path), (":scheme", "https"), (":authority", "localhost")]
        if body is not None:
            headers.append(("content-length", str(len(body))))
        self.conn.send_headers(stream_id, headers, end_stream=end and body is None)
        if end and body is not None:
            self.conn.send_data(stream_id, body, end_stream=True)
        self.responses[stream_id] = {"status": None, "body": bytearray(), "ended": False, "chunks": []}
        self.flush()
        return stream_id

    def pump(self, until, timeout=10):
        """Reads and handles frames until `until()` is true, the peer closes, or time is up."""
        deadline = time.monotonic() + timeout
        while not until() and not self.closed:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("condition not met in time")
            self.sock.settimeout(remaining)
            try:
                data = self.sock.recv(65536)
            except (ConnectionResetError, ssl.SSLError, BrokenPipeError):
                data = b""
            if not data:
                self.closed = True
                break
            self.handle(self.conn.receive_data(data))
            try:
                self.flush()
            except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
                self.closed = True

    def handle(self, events):
        for event in events:
            if isinstance(event, h2.events.ResponseReceived):
                self.responses[event.stream_id]["status"] = int(dict(event.headers)[":status"])
                self.responses[event.stream_id]["headers"] = dict(event.headers)
            elif isinstance(event, h2.events.DataReceived):
                r = self.responses[event.stream_id]
                r["body"] += event.data
                r["chunks"].append((time.monotonic(), bytes(event.data)))
                self.conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            elif isinstance(event, h2.events.StreamEnded):
                self.responses[event.stream_id]["ended"] = True
            elif isinstance(event, h2.events.StreamReset):
                self.resets.add(event.stream_id)
            elif isinstance(event, h2.events.ConnectionTerminated):
                self.goaway = event

    def get(self, path, timeout=10):
        stream_id = self.request(path)
        self.pump(lambda: self.responses[stream_id]["ended"] or stream_id in self.resets, timeout)
        return self.responses[stream_id]

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def healthy(port, timeout=5):
    """A well-behaved client on its own connection gets an answer."""
    client = H2Client(port, timeout=timeout)
    try:
        response = client.get("/healthz", timeout=timeout)
        return response["status"] == 200 and bytes(response["body"]) == b"ok"
    finally:
        client.close()


def wait_until(condition, timeout=10, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()
