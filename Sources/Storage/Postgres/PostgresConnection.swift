internal import CPostgres
import Foundation
import HTTP

/// One libpq connection, non-blocking, driven by an event loop: its socket sits in the loop's
/// epoll next to the HTTP connections, so a handler awaiting a query resumes on its own thread.
///
/// Lifecycle: `connect` → idle ⇄ running → closed (or broken, after which the pool discards it).
/// Threading: all state is confined to `loop`; the async methods may be called from anywhere and
/// hop to the loop themselves. One statement at a time.
public final class PostgresConnection: Selectable, @unchecked Sendable {
    // Safety (@unchecked Sendable): every mutable property is touched only on `loop`; the public
    // async API posts its work to the loop before reading or writing any of them.

    typealias QueryCompletion = (Result<PostgresRows, PostgresError>) -> Void

    enum Phase {
        case connecting((Result<PostgresConnection, PostgresError>) -> Void)
        case idle
        case running(completion: QueryCompletion, last: PostgresRows?, error: PostgresError?)
        /// `COPY … FROM STDIN` is accepting data (see PostgresConnection+Copy).
        case copyIn
        /// A pipelined batch is in flight (see PostgresConnection+Pipeline).
        case pipeline(
            completion: (Result<[PostgresRows], PostgresError>) -> Void, results: [PostgresRows], error: PostgresError?)
        case closed
    }

    public let loop: EventLoop
    let connection: OpaquePointer
    public private(set) var fd: Int32 = -1
    private var registered: EventLoop.Interest?
    var phase: Phase
    /// True once the server or the socket went away; the pool drops such connections.
    public private(set) var isBroken = false
    /// Called on the loop for each NOTIFY received on a channel this connection LISTENs to.
    public var onNotification: (@Sendable (_ channel: String, _ payload: String) -> Void)?
    /// Called once on the loop when the connection breaks or closes (listeners reconnect).
    public var onBroken: (() -> Void)?
    /// Told when a COPY statement reaches the copy-in state (or fails before it).
    var copyStarted: ((Result<Void, PostgresError>) -> Void)?
    /// Waiting for libpq's output buffer to drain during COPY.
    var copyWaiter: ((Result<Void, PostgresError>) -> Void)?

    private init(
        connection: OpaquePointer, loop: EventLoop,
        completion: @escaping (Result<PostgresConnection, PostgresError>) -> Void
    ) {
        self.connection = connection
        self.loop = loop
        self.phase = .connecting(completion)
    }

    deinit { PQfinish(connection) }

    // MARK: Connecting

    /// Opens a connection from a libpq URI or conninfo string. The session runs in UTC with ISO
    /// dates, so timestamps decode the same everywhere.
    public static func connect(_ conninfo: String, on loop: EventLoop) async throws -> PostgresConnection {
        try await withCheckedThrowingContinuation { continuation in
            loop.executeOrRun {
                start(conninfo, on: loop) { continuation.resume(with: $0.mapError { $0 as any Error }) }
            }
        }
    }

    static func start(
        _ conninfo: String, on loop: EventLoop,
        completion: @escaping (Result<PostgresConnection, PostgresError>) -> Void
    ) {
        let keywords = ["dbname", "options", "application_name", "client_encoding", "connect_timeout"]
        // client_min_messages: NOTICEs ("relation already exists, skipping") are chatter that
        // libpq would print on the process's stderr; warnings and errors still come through.
        let values = [
            conninfo, "-c TimeZone=UTC -c DateStyle=ISO -c client_min_messages=warning", "palisade", "UTF8", "10",
        ]
        let raw = withCStrings(keywords) { keys in withCStrings(values) { vals in PQconnectStartParams(keys, vals, 1) }
        }
        guard let raw else { return completion(.failure(PostgresError(.connectionFailed, message: "out of memory"))) }
        let connection = PostgresConnection(connection: raw, loop: loop, completion: completion)
        guard PQstatus(raw) != CONNECTION_BAD else {
            return connection.fail(PostgresError(.connectionFailed, message: connection.errorMessage))
        }
        PQsetnonblocking(raw, 1)
        // libpq: after PQconnectStart, wait for the socket to be writable, then poll.
        connection.watch(.write)
    }

    private func poll() {
        let status = PQconnectPoll(connection)
        switch status {
        case PGRES_POLLING_READING: watch(.read)
        case PGRES_POLLING_WRITING: watch(.write)
        case PGRES_POLLING_OK:
            guard case .connecting(let completion) = phase else { return }
            phase = .idle
            watch(.read)
            completion(.success(self))
        default:
            fail(PostgresError(.connectionFailed, message: errorMessage))
        }
    }

    // MARK: Queries

    /// Runs one statement with bound parameters and returns its rows.
    public func query(_ query: PostgresQuery) async throws -> PostgresRows {
        try await run { self.execute(query, simple: false, completion: $0) }
    }

    /// Runs SQL text through the simple protocol: several statements allowed, no parameters.
    /// For migration files and session commands the code controls, never for outside input.
    public func simpleQuery(unsafeSQL sql: String) async throws -> PostgresRows {
        try await run { self.execute(PostgresQuery(unsafeSQL: sql), simple: true, completion: $0) }
    }

    func run(_ start: @escaping (@escaping QueryCompletion) -> Void) async throws -> PostgresRows {
        try await withCheckedThrowingContinuation { continuation in
            loop.executeOrRun { start { continuation.resume(with: $0.mapError { $0 as any Error }) } }
        }
    }

    func execute(_ query: PostgresQuery, simple: Bool, completion: @escaping QueryCompletion) {
        guard case .idle = phase, !isBroken else {
            return completion(.failure(PostgresError(.connectionLost, message: "connection is not usable")))
        }
        let sent: Int32
        if simple {
            sent = PQsendQuery(connection, query.sql)
        } else {
            sent = withOptionalCStrings(query.binds) { values in
                PQsendQueryParams(connection, query.sql, Int32(query.binds.count), nil, values, nil, nil, 0)
            }
        }
        guard sent == 1 else {
            markBroken()
            return completion(.failure(PostgresError(.connectionLost, message: errorMessage)))
        }
        enterRunning(completion)
    }

    func enterRunning(_ completion: @escaping QueryCompletion) {
        phase = .running(completion: completion, last: nil, error: nil)
        flush()
        // libpq may already hold the answer: during COPY the server can report an error that
        // an earlier PQconsumeInput pulled in. No socket event would announce it again.
        collectResults()
    }

    func flush() {
        switch PQflush(connection) {
        case 0: watch(.read)
        case 1: watch([.read, .write])
        default: markBroken()
        }
    }

    // MARK: Readiness

    public func readable() {
        switch phase {
        case .connecting: poll()
        case .idle, .running, .copyIn, .pipeline:
            guard PQconsumeInput(connection) == 1 else { return markBroken() }
            deliverNotifications()
            if case .pipeline = phase { collectPipelineResults() } else { collectResults() }
        case .closed: return
        }
    }

    public func writable() {
        switch phase {
        case .connecting: poll()
        case .running, .pipeline: flush()
        case .copyIn: drainCopyOutput()
        default: watch(.read)
        }
    }

    private func collectResults() {
        while case .running(let completion, var last, var error) = phase, PQisBusy(connection) == 0 {
            guard let result = PQgetResult(connection) else {
                phase = .idle
                if let error {
                    completion(.failure(error))
                } else {
                    completion(.success(last ?? PostgresRows(columns: [], values: [], affectedRows: 0)))
                }
                return
            }
            defer { PQclear(result) }
            switch PQresultStatus(result) {
            case PGRES_TUPLES_OK, PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
                last = Self.rows(of: result)
            case PGRES_COPY_IN:
                phase = .copyIn
                let started = copyStarted
                copyStarted = nil
                started?(.success(()))
                return
            default:
                if error == nil { error = Self.serverError(result) }
            }
            phase = .running(completion: completion, last: last, error: error)
        }
    }

    private func deliverNotifications() {
        while let notification = PQnotifies(connection) {
            let channel = String(cString: notification.pointee.relname)
            let payload = String(cString: notification.pointee.extra)
            PQfreemem(notification)
            onNotification?(channel, payload)
        }
    }

    // MARK: Failure and closing

    private func fail(_ error: PostgresError) {
        let previous = phase
        isBroken = true
        unwatch()
        phase = .closed
        switch previous {
        case .connecting(let completion): completion(.failure(error))
        case .running(let completion, _, _): completion(.failure(error))
        case .pipeline(let completion, _, _): completion(.failure(error))
        default: break
        }
        onBroken?()
        onBroken = nil
        copyStarted?(.failure(error))
        copyStarted = nil
        copyWaiter?(.failure(error))
        copyWaiter = nil
    }

    func markBroken() {
        if case .connecting = phase {
            return fail(PostgresError(.connectionFailed, message: errorMessage))
        }
        fail(PostgresError(.connectionLost, message: errorMessage))
    }

    /// Closes the connection; a statement in flight fails with `connectionLost`.
    public func close() {
        loop.executeOrRun { [self] in
            guard !isClosed else { return }
            fail(PostgresError(.connectionLost, message: "closed"))
        }
    }

    var isClosed: Bool {
        if case .closed = phase { return true }
        return false
    }

    var isIdle: Bool {
        if case .idle = phase { return !isBroken }
        return false
    }

    // MARK: Helpers

    func watch(_ interest: EventLoop.Interest) {
        let socket = PQsocket(connection)
        if socket != fd, registered != nil {
            unwatch()  // libpq moved to another socket (next host in the list).
        }
        fd = socket
        guard fd >= 0 else { return markBroken() }
        if registered == nil {
            do {
                try loop.register(self, interest: interest)
                registered = interest
            } catch {
                fail(PostgresError(.connectionFailed, message: "\(error)"))
            }
        } else if registered != interest {
            loop.modify(self, interest: interest)
            registered = interest
        }
    }

    private func unwatch() {
        guard registered != nil else { return }
        loop.deregister(self)
        registered = nil
    }

    var errorMessage: String {
        guard let message = PQerrorMessage(connection) else { return "unknown error" }
        return String(cString: message).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func serverError(_ result: OpaquePointer) -> PostgresError {
        func field(_ code: Int32) -> String? {
            PQresultErrorField(result, code).map { String(cString: $0) }
        }
        let sqlState = field(Int32(UInt8(ascii: "C")))
        let message = field(Int32(UInt8(ascii: "M"))) ?? "server error"
        return PostgresError(.server, sqlState: sqlState, message: message)
    }

    static func rows(of result: OpaquePointer) -> PostgresRows {
        let rowCount = Int(PQntuples(result))
        let columnCount = Int(PQnfields(result))
        let columns = (0..<columnCount).map { String(cString: PQfname(result, Int32($0))) }
        var values: [[String?]] = []
        values.reserveCapacity(rowCount)
        for row in 0..<rowCount {
            values.append(
                (0..<columnCount).map { column in
                    PQgetisnull(result, Int32(row), Int32(column)) == 1
                        ? nil : String(cString: PQgetvalue(result, Int32(row), Int32(column)))
                })
        }
        let affected = Int(String(cString: PQcmdTuples(result))) ?? 0
        return PostgresRows(columns: columns, values: values, affectedRows: affected)
    }
}

/// Calls `body` with a NUL-terminated C string array that lives for the duration of the call.
func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    withOptionalCStrings(strings) { body($0!) }
}

func withOptionalCStrings<R>(_ strings: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> R) -> R {
    let duplicated = strings.map { $0.map { strdup($0) } ?? nil }
    defer { for pointer in duplicated { free(pointer) } }
    let pointers: [UnsafePointer<CChar>?] = duplicated.map { $0.map { UnsafePointer($0) } } + [nil]
    return pointers.withUnsafeBufferPointer { body($0.baseAddress) }
}
