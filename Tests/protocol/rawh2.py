"""Hand-built HTTP/2 frames for abuse tests: what a hostile client sends, which a conforming
client library refuses to produce."""
import socket
import ssl
import struct
import time

import hpack

from conftest import tls_socket

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PUSH_PROMISE, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = range(10)
END_STREAM, ACK, END_HEADERS = 0x1, 0x1, 0x4
ENHANCE_YOUR_CALM = 0xB


def frame(kind, flags, stream_id, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(">I", stream_id) + payload


def settings(**entries):
    ids = {"initial_window_size": 4, "max_frame_size": 5, "max_concurrent_streams": 3}
    return frame(SETTINGS, 0, 0, b"".join(struct.pack(">HI", ids[k], v) for k, v in entries.items()))


def request_block(path="/healthz", extra=()):
    return hpack.Encoder().encode([(":method", "GET"), (":path", path), (":scheme", "https"),
                                   (":authority", "localhost"), *extra])


class RawH2:
    """Sends raw frames and watches what the server answers, frame by frame."""

    def __init__(self, port, initial_settings=b"", timeout=10):
        self.sock = tls_socket(port, timeout=timeout)
        self.sock.sendall(PREFACE + (initial_settings or settings()))
        self.buffer = b""
        self.frames = []
        self.closed = False
        self.encoder, self.decoder = hpack.Encoder(), hpack.Decoder()
        self.status, self.ended = {}, set()

    def request(self, stream_id, path):
        """A GET on `stream_id`, encoded with this connection's HPACK state."""
        block = self.encoder.encode([(":method", "GET"), (":path", path), (":scheme", "https"),
                                     (":authority", "localhost")])
        return self.send(frame(HEADERS, END_STREAM | END_HEADERS, stream_id, block))

    def goaway_last_stream(self):
        for kind, _, _, payload in self.frames:
            if kind == GOAWAY:
                return int.from_bytes(payload[:4], "big") & 0x7FFFFFFF
        return None

    def send(self, data):
        try:
            self.sock.sendall(data)
            return True
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
            self.closed = True
            return False

    def read_for(self, seconds, stop=None):
        deadline = time.monotonic() + seconds
        while not self.closed and time.monotonic() < deadline:
            if stop and stop():
                return
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                continue
            except (ConnectionResetError, ssl.SSLError, OSError):
                data = b""
            if not data:
                self.closed = True
                return
            self.buffer += data
            while len(self.buffer) >= 9:
                length = int.from_bytes(self.buffer[:3], "big")
                if len(self.buffer) < 9 + length:
                    break
                kind, flags = self.buffer[3], self.buffer[4]
                stream_id = int.from_bytes(self.buffer[5:9], "big") & 0x7FFFFFFF
                payload = self.buffer[9:9 + length]
                self.frames.append((kind, flags, stream_id, payload))
                self.buffer = self.buffer[9 + length:]
                if kind == HEADERS:  # nghttp2 sends neither padding nor priority on responses
                    self.status[stream_id] = int(dict(self.decoder.decode(payload))[":status"])
                if kind in (HEADERS, DATA) and flags & END_STREAM:
                    self.ended.add(stream_id)

    def goaway_code(self):
        for kind, _, _, payload in self.frames:
            if kind == GOAWAY:
                return int.from_bytes(payload[4:8], "big")
        return None

    def told_to_stop(self):
        """GOAWAY received or connection closed: the abusive connection was shut down."""
        return self.goaway_code() is not None or self.closed

    def resets(self):
        return {stream_id for kind, _, stream_id, _ in self.frames if kind == RST_STREAM}

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass
