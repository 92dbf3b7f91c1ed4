internal import CPostgres

/// Pipeline mode: many statements sent back to back, one round trip for the batch. The batch
/// ends in one Sync, so it runs as one implicit transaction: if any statement fails, none of
/// them takes effect and the whole call throws.
extension PostgresConnection {
    public func pipeline(_ queries: [PostgresQuery]) async throws -> [PostgresRows] {
        guard !queries.isEmpty else { return [] }
        return try await withCheckedThrowingContinuation { continuation in
            loop.executeOrRun { [self] in
                sendPipeline(queries) { continuation.resume(with: $0.mapError { $0 as any Error }) }
            }
        }
    }

    private func sendPipeline(
        _ queries: [PostgresQuery], completion: @escaping (Result<[PostgresRows], PostgresError>) -> Void
    ) {
        guard case .idle = phase, !isBroken else {
            return completion(.failure(PostgresError(.connectionLost, message: "connection is not usable")))
        }
        guard PQenterPipelineMode(connection) == 1 else {
            return completion(.failure(PostgresError(.connectionLost, message: errorMessage)))
        }
        for query in queries {
            let sent = withOptionalCStrings(query.binds) { values in
                PQsendQueryParams(connection, query.sql, Int32(query.binds.count), nil, values, nil, nil, 0)
            }
            guard sent == 1 else {
                markBroken()
                return completion(.failure(PostgresError(.connectionLost, message: errorMessage)))
            }
        }
        guard PQpipelineSync(connection) == 1 else {
            markBroken()
            return completion(.failure(PostgresError(.connectionLost, message: errorMessage)))
        }
        phase = .pipeline(completion: completion, results: [], error: nil)
        flush()
        collectPipelineResults()
    }

    /// Reads results until the Sync: each statement's result is followed by a NULL separator.
    func collectPipelineResults() {
        var separators = 0
        while case .pipeline(let completion, var results, var error) = phase, PQisBusy(connection) == 0 {
            guard let result = PQgetResult(connection) else {
                // One NULL separates statements; a second in a row means: wait for more input.
                separators += 1
                if separators > 1 { return }
                continue
            }
            separators = 0
            defer { PQclear(result) }
            switch PQresultStatus(result) {
            case PGRES_PIPELINE_SYNC:
                PQexitPipelineMode(connection)
                phase = .idle
                if let error { completion(.failure(error)) } else { completion(.success(results)) }
                return
            case PGRES_TUPLES_OK, PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
                results.append(Self.rows(of: result))
            case PGRES_PIPELINE_ABORTED:
                break  // Skipped because an earlier statement failed; that failure is the error.
            default:
                if error == nil { error = Self.serverError(result) }
            }
            phase = .pipeline(completion: completion, results: results, error: error)
        }
    }
}
