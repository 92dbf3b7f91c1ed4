import Logging
import Synchronization

/// Runs a routed request's handler as a task on the connection's own loop, maps any error to a
/// problem+json response in this one place, writes the response and logs the access line.
final class RequestDispatcher: Sendable {
    let router: Router
    let logger: Logger
    private let sequence = Atomic<UInt64>(0)
    /// Six random hex digits per process, so ids from different replicas do not collide.
    private let idPrefix: [UInt8]

    init(router: Router, logger: Logger) {
        self.router = router
        self.logger = logger
        idPrefix = Array(String(UInt32.random(in: 0x10_0000...0xFF_FFFF), radix: 16).utf8)
    }

    /// `<prefix>-<hex counter>`: at most 15 bytes for the first 4 billion requests, so Swift keeps
    /// it inline and minting one costs no allocation.
    func nextRequestID() -> String {
        var number = sequence.wrappingAdd(1, ordering: .relaxed).newValue
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 24) { buffer in
            var end = 0
            for byte in idPrefix {
                buffer[end] = byte
                end += 1
            }
            buffer[end] = UInt8(ascii: "-")
            end += 1
            let digitsStart = end
            repeat {
                let digit = UInt8(number & 0xF)
                buffer[end] = digit < 10 ? UInt8(ascii: "0") + digit : UInt8(ascii: "a") + digit - 10
                end += 1
                number >>= 4
            } while number > 0
            buffer[digitsStart..<end].reverse()
            return String(decoding: UnsafeBufferPointer(rebasing: buffer[0..<end]), as: UTF8.self)
        }
    }

    /// Starts the exchange. Called on `loop`; `channel` belongs to that loop.
    ///
    /// The handler's task starts immediately, on this thread, and runs until its first real
    /// suspension (SE-0472): a handler that needs no I/O answers before this returns, with no
    /// trip through the loop's job queue. Its executor preference is the loop, so whatever it
    /// awaits, it resumes here. Channels must therefore accept a response while their protocol
    /// code is still on the stack (nghttp2 allows submitting from inside its callbacks).
    func dispatch(
        _ request: Request, route: Router.Route?, failure: HTTPError?, channel: any ResponseChannel, loop: EventLoop
    ) {
        let started = loop.now
        let answered = failure == nil ? route?.immediate.map { answerImmediately(request, $0) } : nil
        if let answered, case .bytes(let body) = answered.body {
            channel.sendHead(
                status: answered.status, headers: answered.headers, requestID: request.id,
                body: request.method == "HEAD" ? [] : body, complete: true)
            logAccess(request, answered, started: started)
            return
        }
        // Everything else, including an immediate answer that streams, is written by a task.
        let bound = LoopBound(channel, loop: loop)
        let task = Task.immediate(executorPreference: loop) { [self] in
            let response =
                if let answered { answered } else { await respond(to: request, route: route, failure: failure) }
            await deliver(response, request: request, to: bound, started: started)
        }
        channel.task = task
    }

    private func answerImmediately(_ request: Request, _ handler: ImmediateHandler) -> Response {
        do { return try handler(request) } catch { return .problem(for: error, request: request, logger: logger) }
    }

    private func respond(to request: Request, route: Router.Route?, failure: HTTPError?) async -> Response {
        if let failure { return .problem(failure, requestID: request.id) }
        guard let route else { return .problem(HTTPError.notFound(), requestID: request.id) }
        do {
            return try await route.handler(request)
        } catch {
            return .problem(for: error, request: request, logger: logger)
        }
    }

    private func deliver(
        _ response: Response, request: Request, to bound: LoopBound<any ResponseChannel>, started: UInt64
    ) async {
        let isHead = request.method == "HEAD"
        await returnToLoop(bound.loop)
        switch response.body {
        case .bytes(let body):
            bound.value.sendHead(
                status: response.status, headers: response.headers, requestID: request.id, body: isHead ? [] : body,
                complete: true)
        case .stream(let produce):
            bound.value.sendHead(
                status: response.status, headers: response.headers, requestID: request.id, body: [], complete: isHead)
            if !isHead {
                let writer = ResponseBodyWriter(channel: bound)
                do {
                    try await produce(writer)
                } catch is ResponseBodyWriter.StreamClosed {
                } catch is CancellationError {
                } catch {
                    logger.warning("stream failed", ["request.id": request.id, "error": "\(error)"])
                }
                await writer.finish()
            }
        }
        logAccess(request, response, started: started)
    }

    private func logAccess(_ request: Request, _ response: Response, started: UInt64) {
        if logger.isEnabled(.info) {
            let elapsed = MonotonicClock.nowMilliseconds() - started
            logger.info(
                "request",
                [
                    "request.id": request.id, "http.method": request.method, "http.path": request.path,
                    "http.status": "\(response.status)", "http.version": request.httpVersion,
                    "duration_ms": "\(elapsed)", "client": request.remoteAddress?.description ?? "-",
                ])
        }
    }

    /// Makes sure the task runs on `loop`. It almost always does already: the task prefers the
    /// loop as its executor, so every resumption lands there. If not, one suspension that the
    /// loop resumes brings it back, because a task resumes on its preferred executor.
    private func returnToLoop(_ loop: EventLoop) async {
        if !loop.inEventLoop {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                loop.execute { continuation.resume() }
            }
        }
    }
}
