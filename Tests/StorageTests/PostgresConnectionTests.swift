import Foundation
import HTTP
import Logging
import Storage
import TestSupport
import Testing

@Suite("PostgreSQL connection and pool")
struct PostgresConnectionTests {
    @Test("values round-trip as bound parameters, and interpolation never becomes SQL text")
    func roundTrip() async throws {
        try await withPool { pool, _, _ in
            let date = Date(timeIntervalSince1970: 1_796_300_000.25)
            let id = UUID()
            let evil = "'; DROP TABLE pg_class; --"
            let row = try await pool.query(
                """
                SELECT \(42)::int AS int, \(evil)::text AS text, \(true)::bool AS flag, \(2.5)::float8 AS real,
                       \(date)::timestamptz AS at, \(id)::uuid AS id, \([UInt8]([0, 1, 254, 255]))::bytea AS blob,
                       NULL::text AS missing, \("{\"a\": [1, 2]}")::jsonb AS doc
                """
            ).first!
            #expect(try row.decode(Int.self, "int") == 42)
            #expect(try row.decode(String.self, "text") == evil)
            #expect(try row.decode(Bool.self, "flag"))
            #expect(try row.decode(Double.self, "real") == 2.5)
            #expect(try row.decode(Date.self, "at") == date)
            #expect(try row.decode(UUID.self, "id") == id)
            #expect(try row.decode([UInt8].self, "blob") == [0, 1, 254, 255])
            #expect(try row.decode(String?.self, "missing") == nil)
            #expect(try row.decode(String.self, "doc") == #"{"a": [1, 2]}"#)
            #expect(throws: PostgresError.self) { try row.decode(Int.self, "missing") }
        }
    }

    @Test("server errors carry SQLSTATE and a description with no SQL or values in it")
    func errors() async throws {
        try await withPool { pool, _, _ in
            do {
                _ = try await pool.query("SELEC \("secret-value")")
                Issue.record("bad SQL was accepted")
            } catch let error as PostgresError {
                #expect(error.sqlState == "42601")
                #expect(!error.description.contains("SELEC") && !error.description.contains("secret-value"))
                #expect(error.debugDescription.contains("syntax error"))
            }
            _ = try await pool.query("CREATE TABLE t (k text PRIMARY KEY)")
            _ = try await pool.query("INSERT INTO t VALUES (\("a"))")
            do {
                _ = try await pool.query("INSERT INTO t VALUES (\("a"))")
                Issue.record("duplicate accepted")
            } catch let error as PostgresError {
                #expect(error.isUniqueViolation && !error.isRetryable)
            }
            // The connection that saw the errors is still good.
            #expect(try await pool.query("SELECT count(*) AS n FROM t").first!.decode(Int.self, "n") == 1)
        }
    }

    @Test("a transaction commits when its body returns and rolls back when it throws")
    func transactions() async throws {
        try await withPool { pool, _, _ in
            _ = try await pool.query("CREATE TABLE t (n int)")
            try await pool.withTransaction { _ = try await $0.query("INSERT INTO t VALUES (1)") }
            await #expect(throws: PostgresErrorForTests.self) {
                try await pool.withTransaction { connection in
                    _ = try await connection.query("INSERT INTO t VALUES (2)")
                    throw PostgresErrorForTests("abandon")
                }
            }
            #expect(
                try await pool.query("SELECT array_agg(n)::text AS ns FROM t").first!.decode(String.self, "ns") == "{1}"
            )
        }
    }

    @Test("while one connection sleeps in pg_sleep, the same loop keeps serving HTTP and other queries")
    func nonBlocking() async throws {
        try await withPool(loops: 1, connectionsPerLoop: 4) { pool, _, group in
            var router = Router()
            router.add("GET", "/healthz") { _ in .text("ok") }
            let server = HTTPServer(
                group: group, router: router,
                listeners: [
                    ListenerConfiguration(name: "plain", address: SocketAddress(host: "127.0.0.1", port: 0), tls: nil)
                ],
                logger: quietLogger)
            let port = try await server.start()[0].port
            let sleeper = Task { try await pool.query("SELECT pg_sleep(2)") }
            try await Task.sleep(for: .milliseconds(200))  // The sleep is running on the loop's connection.
            let started = ContinuousClock.now
            for _ in 0..<20 { _ = try await pool.query("SELECT 1") }
            let queries = ContinuousClock.now - started
            let httpStarted = ContinuousClock.now
            let answer = try httpGet(port: port, path: "/healthz")
            let http = ContinuousClock.now - httpStarted
            #expect(answer.hasSuffix("ok"))
            #expect(queries < .milliseconds(1000), "20 queries took \(queries) beside a 2 s pg_sleep")
            #expect(http < .milliseconds(500), "/healthz took \(http) beside a 2 s pg_sleep")
            _ = try await sleeper.value
            #expect(ContinuousClock.now - started > .milliseconds(1500), "the sleep really ran concurrently")
            await server.shutdown(gracePeriod: .seconds(1))
        }
    }

    @Test("an exhausted pool makes the next acquire wait, then fail with a timeout")
    func acquireTimeout() async throws {
        try await withPool(connectionsPerLoop: 1, acquireTimeout: .milliseconds(300)) { pool, _, _ in
            let holder = Task { try await pool.query("SELECT pg_sleep(1.5)") }
            try await Task.sleep(for: .milliseconds(200))
            let started = ContinuousClock.now
            do {
                _ = try await pool.query("SELECT 1")
                Issue.record("acquired from an exhausted pool")
            } catch let error as PostgresError {
                #expect(error.code == .timeout)
                #expect(ContinuousClock.now - started < .milliseconds(1200))
            }
            _ = try await holder.value
            #expect(try await pool.query("SELECT 1 AS one").first!.decode(Int.self, "one") == 1)
        }
    }

    @Test("a wrong password or an unreachable server is a connection error, not a hang")
    func badConnections() async throws {
        let group = try EventLoopGroup(count: 1)
        defer { group.stop() }
        for info in [
            "host=/nonexistent port=1 user=x dbname=x", "host=127.0.0.1 port=1 user=x dbname=x connect_timeout=2",
        ] {
            let started = ContinuousClock.now
            do {
                _ = try await PostgresConnection.connect(info, on: group.loops[0])
                Issue.record("connected to \(info)")
            } catch let error as PostgresError {
                #expect(error.code == .connectionFailed && error.isRetryable)
                #expect(ContinuousClock.now - started < .seconds(5))
            }
        }
    }
}

/// A blocking HTTP/1.1 GET on loopback, for checking that a loop still answers.
func httpGet(port: UInt16, path: String) throws -> String {
    try RawHTTP.exchange(port: port, "GET \(path) HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
}
