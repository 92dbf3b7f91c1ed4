import Logging
import Synchronization

/// Runs a routed request's handler as a task on the connection's own loop, maps any error to a
/// problem+json response in this one place, writes the response and logs the access line.
final class RequestDispatcher: Sendable {
    let router: Router
    let logger: Logger
    private let sequence = Atomic<UInt64>(0)
    private let idPrefix: String

    init(router: Router, logger: Logger) {
        self.router = router
        self.logger = logger
        idPrefix = String(UInt32.random(in: 0...UInt32.max), radix: 16)
    }

    func nextRequestID() -> String {
        "\(idPrefix)-\(sequence.wrappingAdd(1, ordering: .relaxed).newValue)"
    }

    /// Starts the exchange. Called on `loop`; `channel` belongs to that loop.
    func dispatch(
        _ request: Request, route: Router.Route?, failure: HTTPError?, channel: any ResponseChannel, loop: EventLoop
    ) {
        let bound = LoopBound(channel, loop: loop)
        let started = loop.now
        let task = Task(executorPreference: loop) { [self] in
            let response = await respond(to: request, route: route, failure: failure)
            await deliver(response, request: request, to: bound, started: started)
        }
        channel.onClose = { task.cancel() }
    }

    private func respond(to request: Request, route: Router.Route?, failure: HTTPError?) async -> Response {
        if let failure { return .problem(failure, requestID: request.id) }
        guard let route else { return .problem(HTTPError.notFound(), requestID: request.id) }
        do {
            return try await route.handler(request)
        } catch let error as any HTTPResponseError {
            return .problem(error, requestID: request.id)
        } catch {
            logger.error(
                "handler failed", ["request.id": request.id, "http.path": request.path, "error": "\(error)"])
            let internalError = HTTPError(
                status: 500, code: "internal", title: "Internal Server Error",
                detail: "The server failed to answer. Quote request id \(request.id) when reporting this.")
            return .problem(internalError, requestID: request.id)
        }
    }

    private func deliver(
        _ response: Response, request: Request, to bound: LoopBound<any ResponseChannel>, started: UInt64
    ) async {
        let headers = {
            var headers = response.headers
            headers.replaceOrAdd(name: "x-request-id", value: request.id)
            return headers
        }()
        let isHead = request.method == "HEAD"
        switch response.body {
        case .bytes(let body):
            await onLoop(bound.loop) {
                bound.value.sendHead(
                    status: response.status, headers: headers, body: isHead ? [] : body, complete: true)
            }
        case .stream(let produce):
            await onLoop(bound.loop) {
                bound.value.sendHead(status: response.status, headers: headers, body: [], complete: isHead)
            }
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

    /// Runs `body` on the loop: directly when already there (the usual case, thanks to the
    /// task's executor preference), otherwise by hopping.
    private func onLoop(_ loop: EventLoop, _ body: @escaping @Sendable () -> Void) async {
        if loop.inEventLoop { return body() }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            loop.execute {
                body()
                continuation.resume()
            }
        }
    }
}
