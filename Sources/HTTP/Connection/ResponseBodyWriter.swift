/// Writes a streamed response body (NDJSON lines, Server-Sent Events) while the connection
/// stays open. Each `write` returns once the bytes are queued; it waits while more than
/// `StreamWatermark.high` bytes are queued, and throws `StreamClosed` once the peer is gone.
public struct ResponseBodyWriter: Sendable {
    public struct StreamClosed: Error {}

    let channel: LoopBound<any ResponseChannel>

    public func write(_ bytes: [UInt8]) async throws {
        try await onLoop { (channel, done: @escaping (Bool) -> Void) in
            guard !channel.isClosed else { return done(false) }
            channel.sendBody(bytes, complete: false)
            if channel.bufferedBodyBytes > StreamWatermark.high {
                channel.whenWritable(done)
            } else {
                done(true)
            }
        }
    }

    public func write(_ text: String) async throws {
        try await write(Array(text.utf8))
    }

    /// Ends the body. Called by the dispatcher when the stream closure returns.
    func finish() async {
        try? await onLoop { (channel, done: @escaping (Bool) -> Void) in
            if !channel.isClosed { channel.sendBody([], complete: true) }
            done(true)
        }
    }

    private func onLoop(
        _ body: @escaping (any ResponseChannel, @escaping (Bool) -> Void) -> Void
    ) async throws {
        let loop = channel.loop
        let channel = self.channel
        if loop.inEventLoop {
            // Fast path: no continuation unless we must wait for the peer.
            var immediate: Bool? = nil
            var waiting = false
            var continuation: CheckedContinuation<Bool, Never>? = nil
            body(channel.value) { ok in
                if waiting { continuation?.resume(returning: ok) } else { immediate = ok }
            }
            if let immediate {
                if !immediate { throw StreamClosed() }
                return
            }
            waiting = true
            let ok = await withCheckedContinuation { continuation = $0 }
            if !ok { throw StreamClosed() }
            return
        }
        // Safety (UnsafeTransfer): `body` is created by this writer, handed to the loop once and
        // run there only; nothing else holds it.
        let transfer = UnsafeTransfer(body)
        let ok = await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            loop.execute { transfer.value(channel.value) { continuation.resume(returning: $0) } }
        }
        if !ok { throw StreamClosed() }
    }
}
