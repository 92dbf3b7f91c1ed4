internal import CNGHTTP2

/// The nghttp2 callbacks, as non-capturing closures that find their `HTTP2Handler` through the
/// session's user data.
enum HTTP2Callbacks {
    // Safety (Unmanaged): user data is the handler that owns the session; nghttp2 calls back only
    // while that handler is inside mem_recv / mem_send / submit, so it is alive.
    private static func handler(_ userData: UnsafeMutableRawPointer?) -> HTTP2Handler {
        Unmanaged<HTTP2Handler>.fromOpaque(userData!).takeUnretainedValue()
    }

    static func install(on callbacks: OpaquePointer?) {
        nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks, onBeginHeaders)
        nghttp2_session_callbacks_set_on_header_callback(callbacks, onHeader)
        nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, onFrameReceived)
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, onDataChunk)
        nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, onStreamClose)
        nghttp2_session_callbacks_set_on_invalid_frame_recv_callback(callbacks, onInvalidFrame)
    }

    static let onBeginHeaders: nghttp2_on_begin_headers_callback = { _, frame, userData in
        guard let frame, palisade_nghttp2_frame_type(frame) == UInt8(NGHTTP2_HEADERS.rawValue),
            palisade_nghttp2_headers_category(frame) == Int32(NGHTTP2_HCAT_REQUEST.rawValue)
        else { return 0 }
        handler(userData).beginStream(palisade_nghttp2_frame_stream_id(frame))
        return 0
    }

    static let onHeader: nghttp2_on_header_callback = { _, frame, name, nameLength, value, valueLength, _, userData in
        guard let frame, let name, let value else { return 0 }
        let handler = handler(userData)
        guard let stream = handler.stream(palisade_nghttp2_frame_stream_id(frame)) else { return 0 }
        // Counted before anything is copied: an oversized list costs us nothing but the count.
        stream.headerBytes += nameLength + valueLength + 32
        if stream.headerBytes > handler.connection.context.limits.maxHeaderListSize {
            handler.spend(.headerOverflow)
            return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue
        }
        let nameBytes = UnsafeBufferPointer(start: name, count: nameLength)
        let valueText = String(decoding: UnsafeBufferPointer(start: value, count: valueLength), as: UTF8.self)
        // Pseudo-headers told apart by their bytes (nghttp2 has checked them): no name string.
        if nameLength > 1 && nameBytes[0] == UInt8(ascii: ":") {
            switch (nameBytes[1], nameLength) {
            case (UInt8(ascii: "m"), 7): stream.method = valueText  // :method
            case (UInt8(ascii: "p"), 5): stream.path = valueText  // :path
            case (UInt8(ascii: "a"), 10): stream.authority = valueText  // :authority
            default: break  // :scheme
            }
            return 0
        }
        stream.headers.appendLowercased(name: String(decoding: nameBytes, as: UTF8.self), value: valueText)
        return 0
    }

    static let onFrameReceived: nghttp2_on_frame_recv_callback = { _, frame, userData in
        guard let frame else { return 0 }
        let handler = handler(userData)
        let type = UInt32(palisade_nghttp2_frame_type(frame))
        let flags = UInt32(palisade_nghttp2_frame_flags(frame))
        let endStream = flags & NGHTTP2_FLAG_END_STREAM.rawValue != 0
        let streamID = palisade_nghttp2_frame_stream_id(frame)
        switch type {
        case NGHTTP2_HEADERS.rawValue:
            guard let stream = handler.stream(streamID), !stream.dispatched else { return 0 }
            if stream.route == nil && stream.failure == nil { handler.headersComplete(stream) }
            if endStream { handler.dispatch(stream) }
        case NGHTTP2_DATA.rawValue:
            if palisade_nghttp2_frame_length(frame) == 0 && !endStream { handler.spend(.emptyData) }
            if endStream, let stream = handler.stream(streamID) { handler.dispatch(stream) }
        case NGHTTP2_PING.rawValue:
            if flags & NGHTTP2_FLAG_ACK.rawValue == 0 { handler.spend(.ping) }
        case NGHTTP2_SETTINGS.rawValue:
            if flags & NGHTTP2_FLAG_ACK.rawValue == 0 { handler.spend(.settings) }
        case NGHTTP2_PRIORITY.rawValue:
            handler.spend(.priority)
        case NGHTTP2_RST_STREAM.rawValue:
            handler.spend(.reset)
        default:
            break
        }
        return 0
    }

    static let onDataChunk: nghttp2_on_data_chunk_recv_callback = { _, _, streamID, data, length, userData in
        let handler = handler(userData)
        guard let data, let stream = handler.stream(streamID) else { return 0 }
        handler.bodyChunk(stream, UnsafeRawBufferPointer(start: data, count: length))
        return 0
    }

    static let onStreamClose: nghttp2_on_stream_close_callback = { _, streamID, _, userData in
        handler(userData).streamClosed(streamID)
        return 0
    }

    static let onInvalidFrame: nghttp2_on_invalid_frame_recv_callback = { _, _, _, userData in
        handler(userData).spend(.invalid)
        return 0
    }

    /// The data provider for every response body: drains the stream's pending bytes, defers
    /// when a streamed body has nothing queued, and ends the stream when the body is complete.
    static let readBody: nghttp2_data_source_read_callback = { _, streamID, buffer, length, flags, _, userData in
        let handler = handler(userData)
        guard let buffer, let flags, let stream = handler.stream(streamID) else {
            return Int(NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue)
        }
        let n = stream.drain(into: UnsafeMutableRawBufferPointer(start: buffer, count: length), now: handler.now)
        if stream.pending.isEmpty {
            if stream.responseComplete {
                flags.pointee |= NGHTTP2_DATA_FLAG_EOF.rawValue
            } else if n == 0 {
                stream.deferred = true
                return Int(NGHTTP2_ERR_DEFERRED.rawValue)
            }
        }
        return n
    }
}
