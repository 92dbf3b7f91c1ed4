internal import CPostgres
import HTTP

/// `COPY … FROM STDIN`: the bulk path for reports and events. Data streams through libpq's
/// output buffer without blocking the loop; a writer waits only while that buffer is full.
extension PostgresConnection {
    /// Runs a `COPY … FROM STDIN` statement; `body` writes the data (COPY text format, see
    /// `PostgresCopyText`). Returns the number of rows the server stored. If `body` throws, the
    /// copy is aborted and nothing is stored.
    public func copyIn(unsafeSQL sql: String, _ body: (PostgresCopyWriter) async throws -> Void) async throws -> Int {
        try await onLoop { (done: @escaping (Result<Void, PostgresError>) -> Void) in
            self.startCopy(sql, ready: done)
        }
        do {
            try await body(PostgresCopyWriter(connection: self))
        } catch {
            _ = try? await run { self.endCopy(failure: "aborted by the client", completion: $0) }
            throw error
        }
        return try await run { self.endCopy(failure: nil, completion: $0) }.affectedRows
    }

    func onLoop(_ start: @escaping (@escaping (Result<Void, PostgresError>) -> Void) -> Void) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            loop.executeOrRun { start { continuation.resume(with: $0.mapError { $0 as any Error }) } }
        }
    }

    private func startCopy(_ sql: String, ready: @escaping (Result<Void, PostgresError>) -> Void) {
        copyStarted = ready
        // A statement that finishes without entering COPY (an error, or not a COPY at all) ends
        // up in this completion instead.
        execute(PostgresQuery(unsafeSQL: sql), simple: true) { [self] result in
            guard let started = copyStarted else { return }
            copyStarted = nil
            switch result {
            case .failure(let error): started(.failure(error))
            case .success: started(.failure(PostgresError(.server, message: "statement did not start a COPY")))
            }
        }
    }

    func putCopyData(_ bytes: [UInt8], done: @escaping (Result<Void, PostgresError>) -> Void) {
        guard case .copyIn = phase else {
            return done(.failure(PostgresError(.connectionLost, message: "not copying")))
        }
        let queued = bytes.withUnsafeBytes { raw in
            PQputCopyData(connection, raw.baseAddress?.assumingMemoryBound(to: CChar.self), Int32(raw.count))
        }
        switch queued {
        case 1:
            copyWaiter = done
            drainCopyOutput()
        case 0:  // libpq's buffer is full: wait for the socket, then offer the same bytes again.
            copyWaiter = { [self] result in
                if case .failure = result { return done(result) }
                putCopyData(bytes, done: done)
            }
            watch([.read, .write])
        default:
            markBroken()
            done(.failure(PostgresError(.connectionLost, message: errorMessage)))
        }
    }

    /// Pushes libpq's queued output to the socket; resumes the waiting writer once it is out.
    func drainCopyOutput() {
        switch PQflush(connection) {
        case 0:
            watch(.read)
            let waiter = copyWaiter
            copyWaiter = nil
            waiter?(.success(()))
        case 1:
            watch([.read, .write])
        default:
            markBroken()
        }
    }

    private func endCopy(failure: String?, completion: @escaping QueryCompletion) {
        guard case .copyIn = phase else {
            return completion(.failure(PostgresError(.connectionLost, message: "not copying")))
        }
        switch PQputCopyEnd(connection, failure) {
        case 1:
            enterRunning(completion)
        case 0:
            copyWaiter = { [self] result in
                if case .failure(let error) = result { return completion(.failure(error)) }
                endCopy(failure: failure, completion: completion)
            }
            watch([.read, .write])
        default:
            markBroken()
            completion(.failure(PostgresError(.connectionLost, message: errorMessage)))
        }
    }
}

/// Hands COPY data to the connection, chunk by chunk.
public struct PostgresCopyWriter: Sendable {
    let connection: PostgresConnection

    public func write(_ bytes: [UInt8]) async throws {
        try await connection.onLoop { done in connection.putCopyData(bytes, done: done) }
    }
}

/// COPY text format: tab-separated columns, `\N` for NULL, backslash escapes for the bytes
/// that would break the framing.
public struct PostgresCopyText: Sendable {
    public private(set) var bytes: [UInt8] = []
    private var columnsInRow = 0

    public init(reservingCapacity capacity: Int = 1 << 16) { bytes.reserveCapacity(capacity) }

    public mutating func append(_ value: String?) { appendField(value) }

    public mutating func append(_ value: some PostgresBindable) { appendField(value.postgresText) }

    private mutating func appendField(_ value: String?) {
        if columnsInRow > 0 { bytes.append(0x09) }
        columnsInRow += 1
        guard let value else {
            bytes.append(contentsOf: [0x5C, 0x4E])  // \N
            return
        }
        for byte in value.utf8 {
            switch byte {
            case 0x5C: bytes.append(contentsOf: [0x5C, 0x5C])
            case 0x09: bytes.append(contentsOf: [0x5C, 0x74])
            case 0x0A: bytes.append(contentsOf: [0x5C, 0x6E])
            case 0x0D: bytes.append(contentsOf: [0x5C, 0x72])
            default: bytes.append(byte)
            }
        }
    }

    public mutating func endRow() {
        bytes.append(0x0A)
        columnsInRow = 0
    }

    public mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        columnsInRow = 0
    }
}
