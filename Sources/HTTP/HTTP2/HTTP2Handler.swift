internal import CNGHTTP2

struct HTTP2Error: Error, CustomStringConvertible {
    let operation: String
    let code: Int32
    var description: String { "\(operation): \(String(cString: nghttp2_strerror(code)))" }
}

/// HTTP/2 on one connection, through an nghttp2 server session driven by `mem_recv` and
/// `mem_send` (the connection does the socket and TLS I/O).
///
/// Lifecycle: created after ALPN `h2`, the h2c preface or an `Upgrade: h2c`; the session is
/// freed in `deinit`. Threading: confined to the connection's loop; nghttp2 calls back only
/// from inside `mem_recv` / `mem_send` / `submit_*`, i.e. on the same thread.
final class HTTP2Handler: ProtocolHandler {
    // Safety (unowned(unsafe)): the connection owns this handler and outlives it.
    unowned(unsafe) let connection: Connection
    private(set) var session: OpaquePointer?
    var streams: [Int32: HTTP2Stream] = [:]
    /// The stream nghttp2 called back about last: its callbacks come in runs for one stream
    /// (a header at a time), so this saves hashing the id for each of them.
    private var lastStream: HTTP2Stream?
    var budget: FrameBudget
    /// The session hit a protocol error or abuse: send what is queued (GOAWAY), then close.
    var fatal = false
    private var goingAway = false

    init(connection: Connection, upgrade: HTTP2Upgrade?) throws(HTTP2Error) {
        self.connection = connection
        budget = FrameBudget(now: connection.loop.now)
        var callbacks: OpaquePointer?
        guard nghttp2_session_callbacks_new(&callbacks) == 0 else {
            throw HTTP2Error(operation: "callbacks", code: NGHTTP2_ERR_NOMEM.rawValue)
        }
        defer { nghttp2_session_callbacks_del(callbacks) }
        HTTP2Callbacks.install(on: callbacks)

        var options: OpaquePointer?
        guard nghttp2_option_new(&options) == 0 else {
            throw HTTP2Error(operation: "options", code: NGHTTP2_ERR_NOMEM.rawValue)
        }
        defer { nghttp2_option_del(options) }
        // Rapid Reset (CVE-2023-44487) and CONTINUATION flood (CVE-2024-27316) guards, backported
        // into Debian's 1.52, plus bounds on queued ACKs and SETTINGS entries.
        nghttp2_option_set_stream_reset_rate_limit(options, 1000, 33)
        nghttp2_option_set_max_continuations(options, 8)
        nghttp2_option_set_max_outbound_ack(options, 1000)
        nghttp2_option_set_max_settings(options, 32)

        // Safety (Unmanaged): the session is owned by this handler and freed in deinit, so the
        // unretained pointer nghttp2 hands back to callbacks never outlives `self`.
        var session: OpaquePointer?
        let rv = nghttp2_session_server_new2(&session, callbacks, Unmanaged.passUnretained(self).toOpaque(), options)
        guard rv == 0, let session else { throw HTTP2Error(operation: "session", code: rv) }
        self.session = session

        let limits = connection.context.limits
        var settings = [
            nghttp2_settings_entry(
                settings_id: Int32(NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS.rawValue), value: limits.maxConcurrentStreams
            ),
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE.rawValue), value: 1 << 20),
            nghttp2_settings_entry(
                settings_id: Int32(NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE.rawValue),
                value: UInt32(limits.maxHeaderListSize)),
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_ENABLE_PUSH.rawValue), value: 0),
        ]
        if let upgrade {
            let rv = upgrade.settings.withUnsafeBufferPointer {
                nghttp2_session_upgrade2(session, $0.baseAddress, $0.count, upgrade.head.method == "HEAD" ? 1 : 0, nil)
            }
            guard rv == 0 else { throw HTTP2Error(operation: "upgrade", code: rv) }
        }
        let submitted = nghttp2_submit_settings(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), &settings, settings.count)
        guard submitted == 0 else { throw HTTP2Error(operation: "settings", code: submitted) }
        // A larger connection window than the 64 KiB default, so uploads are not window-bound.
        _ = nghttp2_session_set_local_window_size(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), 0, 8 << 20)
        if let upgrade { dispatchUpgraded(upgrade) }
    }

    deinit {
        nghttp2_session_del(session)
    }

    var now: UInt64 { connection.loop.now }

    // MARK: ProtocolHandler

    func received(_ bytes: UnsafeRawBufferPointer) {
        guard !fatal else { return }
        let rv = nghttp2_session_mem_recv(session, bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count)
        if rv < 0 {
            connection.logger.debug(
                "HTTP/2 session error",
                [
                    "client": connection.remoteAddress?.description ?? "-",
                    "h2.error": String(cString: nghttp2_strerror(Int32(rv))),
                ])
            fatal = true
        }
        connection.outputPending()
    }

    func produceOutput(into output: inout ByteBuffer, limit: Int) {
        while output.count < limit {
            var data: UnsafePointer<UInt8>? = nil
            let n = nghttp2_session_mem_send(session, &data)
            if n < 0 {
                fatal = true
                return
            }
            guard n > 0, let data else { return }
            output.append(UnsafeRawBufferPointer(start: data, count: n))
        }
    }

    var wantsRead: Bool { !fatal && nghttp2_session_want_read(session) != 0 }

    var isFinished: Bool {
        fatal || (nghttp2_session_want_read(session) == 0 && nghttp2_session_want_write(session) == 0)
    }

    var hasActiveRequests: Bool { !streams.isEmpty }

    func beginGracefulShutdown() {
        guard !goingAway else { return }
        goingAway = true
        let last = nghttp2_session_get_last_proc_stream_id(session)
        _ = nghttp2_submit_goaway(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), last, NGHTTP2_NO_ERROR.rawValue, nil, 0)
        for stream in streams.values { stream.cancelStream() }
        connection.outputPending()
    }

    func checkTimeouts(now: UInt64) -> UInt64? {
        let limits = connection.context.limits
        var next = UInt64.max
        for stream in Array(streams.values) {
            if !stream.dispatched {
                let deadline = stream.lastInputProgress + limits.readTimeout
                if now >= deadline { reset(stream, code: NGHTTP2_CANCEL.rawValue) } else { next = min(next, deadline) }
            } else if stream.pending.count > 0 {
                let deadline = stream.lastOutputProgress + limits.writeTimeout
                if now >= deadline { reset(stream, code: NGHTTP2_CANCEL.rawValue) } else { next = min(next, deadline) }
            }
        }
        return next == .max ? nil : next
    }

    func connectionClosed() {
        fatal = true
        lastStream = nil
        let open = streams.values
        streams.removeAll()
        for stream in open { stream.close() }
    }

    // MARK: Requests

    func stream(_ id: Int32) -> HTTP2Stream? {
        if let lastStream, lastStream.id == id { return lastStream }
        lastStream = streams[id]
        return lastStream
    }

    func beginStream(_ id: Int32) {
        let stream = HTTP2Stream(id: id, handler: self, now: now)
        streams[id] = stream
        lastStream = stream
    }

    /// The request head is complete: route it, and reject early what can be rejected.
    func headersComplete(_ stream: HTTP2Stream) {
        switch connection.context.dispatcher.router.match(method: stream.method, target: stream.path) {
        case .found(let route, let parameters):
            stream.route = route
            stream.parameters = parameters
            stream.bodyLimit = route.bodyLimit
        case .methodNotAllowed(let allowed):
            stream.failure = .methodNotAllowed(allowed)
        case .notFound:
            break
        }
        if let length = stream.headers["content-length"].flatMap(Int.init), length > stream.bodyLimit {
            rejectBody(stream)
        }
    }

    func bodyChunk(_ stream: HTTP2Stream, _ bytes: UnsafeRawBufferPointer) {
        guard !stream.dispatched else { return }  // Answered early (413): the rest is discarded.
        stream.lastInputProgress = now
        if stream.body.count + bytes.count > stream.bodyLimit {
            rejectBody(stream)
            return
        }
        stream.body.append(contentsOf: bytes)
    }

    private func rejectBody(_ stream: HTTP2Stream) {
        stream.failure = .payloadTooLarge(limit: stream.bodyLimit)
        stream.route = nil
        stream.body = []
        dispatch(stream)
    }

    func dispatch(_ stream: HTTP2Stream) {
        guard !stream.dispatched else { return }
        stream.dispatched = true
        let dispatcher = connection.context.dispatcher
        var request = Request(
            id: dispatcher.nextRequestID(), method: stream.method, target: stream.path, headers: stream.headers,
            body: stream.body, remoteAddress: connection.remoteAddress, peerCertificate: connection.peerCertificate)
        request.pathParameters = stream.parameters
        stream.body = []
        dispatcher.dispatch(
            request, route: stream.route, failure: stream.failure, channel: stream, loop: connection.loop)
    }

    private func dispatchUpgraded(_ upgrade: HTTP2Upgrade) {
        let stream = HTTP2Stream(id: 1, handler: self, now: now)
        stream.method = upgrade.head.method
        stream.path = upgrade.head.target
        for (name, value) in upgrade.head.headers
        where !HTTPHeaders.isHopByHop(name) && name != "http2-settings" {
            stream.headers.add(name: name, value: value)
        }
        streams[1] = stream
        headersComplete(stream)
        dispatch(stream)
    }

    func streamClosed(_ id: Int32) {
        if lastStream?.id == id { lastStream = nil }
        streams.removeValue(forKey: id)?.close()
    }

    /// Spends from the frame budget; an exhausted budget ends the session with ENHANCE_YOUR_CALM.
    func spend(_ kind: FrameBudget.Kind) {
        guard !budget.spend(kind, now: now), !fatal else { return }
        connection.logger.warning(
            "HTTP/2 peer exceeded frame budget",
            ["client": connection.remoteAddress?.description ?? "-", "h2.frame": "\(kind)"])
        _ = nghttp2_session_terminate_session(session, NGHTTP2_ENHANCE_YOUR_CALM.rawValue)
        fatal = true
    }

    private func reset(_ stream: HTTP2Stream, code: UInt32) {
        _ = nghttp2_submit_rst_stream(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), stream.id, code)
        connection.outputPending()
    }

    // MARK: Responses

    func submitResponse(for stream: HTTP2Stream, status: Int, headers: HTTPHeaders, requestID: String) {
        let withBody = !(stream.responseComplete && stream.pending.isEmpty)
        let contentLength = stream.responseComplete ? stream.pending.count : nil
        let rv = HTTP2HeaderBlock.withResponseHeaders(
            status: status, headers: headers, requestID: requestID, contentLength: contentLength
        ) {
            nva, count in
            if withBody {
                var provider = nghttp2_data_provider(
                    source: nghttp2_data_source(ptr: nil), read_callback: HTTP2Callbacks.readBody)
                return nghttp2_submit_response(session, stream.id, nva, count, &provider)
            }
            return nghttp2_submit_response(session, stream.id, nva, count, nil)
        }
        if rv != 0 {
            connection.logger.debug("cannot submit response", ["h2.error": String(cString: nghttp2_strerror(rv))])
        }
        connection.outputPending()
    }

    func resume(_ stream: HTTP2Stream) {
        if stream.deferred {
            stream.deferred = false
            _ = nghttp2_session_resume_data(session, stream.id)
        }
        connection.outputPending()
    }
}

/// Builds a response's `nghttp2_nv` list in stack memory (no heap allocation per response);
/// the pointers live only inside `submit`, and nghttp2 copies names and values during it.
enum HTTP2HeaderBlock {
    static func withResponseHeaders(
        status: Int, headers: HTTPHeaders, requestID: String, contentLength: Int?,
        _ submit: (UnsafePointer<nghttp2_nv>, Int) -> Int32
    ) -> Int32 {
        let statusText = String(status)
        let lengthText = contentLength.map { String($0) }
        var count = 3
        var byteCount =
            ":status".utf8.count + statusText.utf8.count + "content-length".utf8.count
            + (lengthText?.utf8.count ?? 0) + "x-request-id".utf8.count + requestID.utf8.count
        for (name, value) in headers where !HTTPHeaders.isHopByHop(name) {
            count += 1
            byteCount += name.utf8.count + value.utf8.count
        }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: byteCount) { storage in
            withUnsafeTemporaryAllocation(of: nghttp2_nv.self, capacity: count) { nva in
                var offset = 0
                var index = 0
                func copy(_ text: String) -> (UnsafeMutablePointer<UInt8>, Int) {
                    let start = storage.baseAddress! + offset
                    let copied = text.utf8.withContiguousStorageIfAvailable { source in
                        start.update(from: source.baseAddress!, count: source.count)
                        return source.count
                    }
                    if let copied {
                        offset += copied
                    } else {
                        for byte in text.utf8 {
                            storage[offset] = byte
                            offset += 1
                        }
                    }
                    return (start, offset - (start - storage.baseAddress!))
                }
                func put(_ name: String, _ value: String, noIndex: Bool = false) {
                    let (namePointer, nameLength) = copy(name)
                    let (valuePointer, valueLength) = copy(value)
                    let flags = noIndex ? NGHTTP2_NV_FLAG_NO_INDEX : NGHTTP2_NV_FLAG_NONE
                    nva[index] = nghttp2_nv(
                        name: namePointer, value: valuePointer, namelen: nameLength, valuelen: valueLength,
                        flags: UInt8(flags.rawValue))
                    index += 1
                }
                put(":status", statusText)
                for (name, value) in headers where !HTTPHeaders.isHopByHop(name) { put(name, value) }
                // Unique per response: indexing it would only churn the HPACK table.
                put("x-request-id", requestID, noIndex: true)
                if let lengthText { put("content-length", lengthText) }
                return submit(nva.baseAddress!, index)
            }
        }
    }
}
