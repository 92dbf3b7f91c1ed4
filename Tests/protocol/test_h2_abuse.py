"""HTTP/2 abuse against a running server, on loopback, bounded in count and time. For each: the
abusive connection is closed or throttled, RSS stays bounded, and a well-behaved client on
another connection keeps getting answers."""
import threading

import hpack
import pytest

from conftest import healthy
from rawh2 import (CONTINUATION, END_HEADERS, END_STREAM, ENHANCE_YOUR_CALM, HEADERS, PING, RST_STREAM,
                   RawH2, frame, request_block, settings)

RSS_BOUND_KIB = 64 * 1024


class GoodClient(threading.Thread):
    """Keeps asking /healthz on its own connections while an attack runs."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port, self.ok, self.failed, self.stop = port, 0, 0, threading.Event()

    def run(self):
        while not self.stop.is_set():
            try:
                if healthy(self.port, timeout=3):
                    self.ok += 1
                else:
                    self.failed += 1
            except Exception:
                self.failed += 1
            self.stop.wait(0.1)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.join(10)


def attack(testbed, send, expect_stop=True, read_seconds=10):
    port = testbed.info["tls"]
    rss_before = testbed.rss_kib()
    with GoodClient(port) as good:
        attacker = RawH2(port)
        send(attacker)
        attacker.read_for(read_seconds, stop=attacker.told_to_stop if expect_stop else None)
    rss_after = testbed.rss_kib()
    assert testbed.alive()
    assert good.ok > 0 and good.failed == 0, f"good client: {good.ok} ok, {good.failed} failed"
    assert healthy(port)
    assert rss_after - rss_before < RSS_BOUND_KIB, f"RSS grew {rss_after - rss_before} KiB"
    attacker.close()
    return attacker


def test_rapid_reset_is_cut_off(testbed):
    block = request_block()

    def send(a):
        for batch in range(50):
            data = b"".join(frame(HEADERS, END_STREAM | END_HEADERS, sid, block) +
                            frame(RST_STREAM, 0, sid, (8).to_bytes(4, "big"))
                            for sid in range(1 + batch * 200, 1 + (batch + 1) * 200, 2))
            if not a.send(data):
                return

    attacker = attack(testbed, send)
    assert attacker.told_to_stop()


def test_continuation_flood_is_cut_off(testbed):
    junk = hpack.Encoder().encode([("x-junk", "a" * 10)])

    def send(a):
        a.send(frame(HEADERS, 0, 1, request_block()))
        for _ in range(100):
            if not a.send(b"".join(frame(CONTINUATION, 0, 1, junk) for _ in range(100))):
                return

    attacker = attack(testbed, send)
    assert attacker.told_to_stop()


def test_header_list_far_over_the_limit_is_refused(testbed):
    big = [("x-big-%d" % i, "v" * 4000) for i in range(60)]  # ~240 KB of headers, limit is 32 KiB
    block = request_block(extra=big)
    pieces = [block[i:i + 16000] for i in range(0, len(block), 16000)]

    def send(a):
        data = frame(HEADERS, END_STREAM if len(pieces) > 1 else END_STREAM | END_HEADERS, 1, pieces[0])
        for n, piece in enumerate(pieces[1:], start=1):
            data += frame(CONTINUATION, END_HEADERS if n == len(pieces) - 1 else 0, 1, piece)
        a.send(data)

    attacker = attack(testbed, send, read_seconds=5)
    got_headers = any(kind == HEADERS and sid == 1 for kind, _, sid, _ in attacker.frames)
    assert not got_headers, "the oversized request was answered"
    assert 1 in attacker.resets() or attacker.told_to_stop()


def test_ping_flood_gets_goaway_enhance_your_calm(testbed):
    def send(a):
        for _ in range(100):
            if not a.send(b"".join(frame(PING, 0, 0, b"12345678") for _ in range(100))):
                return

    attacker = attack(testbed, send)
    assert attacker.goaway_code() == ENHANCE_YOUR_CALM or attacker.closed


def test_settings_flood_gets_goaway(testbed):
    def send(a):
        for _ in range(100):
            if not a.send(b"".join(settings() for _ in range(100))):
                return

    attacker = attack(testbed, send)
    assert attacker.told_to_stop()


def test_client_that_never_opens_its_window_is_reset_and_memory_returns(testbed):
    # Initial stream window 0: the server can send headers but no body byte, ever.
    block = request_block("/bytes?n=262144")
    rss_before = testbed.rss_kib()

    def send(a):
        a.send(b"".join(frame(HEADERS, END_STREAM | END_HEADERS, sid, block) for sid in range(1, 101, 2)))

    port = testbed.info["tls"]
    attacker = RawH2(port, initial_settings=settings(initial_window_size=0))
    send(attacker)
    # The write timeout is 3 s in this test bed: every stream must be reset by then.
    attacker.read_for(12, stop=lambda: len(attacker.resets()) >= 50 or attacker.closed)
    assert len(attacker.resets()) >= 50 or attacker.closed
    assert healthy(port)
    assert testbed.rss_kib() - rss_before < RSS_BOUND_KIB
    attacker.close()
