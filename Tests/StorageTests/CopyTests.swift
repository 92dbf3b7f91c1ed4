import Foundation
import Storage
import TestSupport
import Testing

@Suite("COPY FROM STDIN")
struct CopyTests {
    @Test("rows stream in through COPY and arrive exactly, escapes and NULLs included")
    func copies() async throws {
        try await withPool { pool, _, _ in
            _ = try await pool.query("CREATE TABLE t (n int, s text)")
            let count = try await pool.withConnection { connection in
                try await connection.copyIn(unsafeSQL: "COPY t (n, s) FROM STDIN") { writer in
                    var text = PostgresCopyText()
                    for n in 0..<50_000 {
                        text.append(n)
                        text.append(n == 7 ? "tab\there\nnewline\\slash" : n == 8 ? nil : "row \(n)")
                        text.endRow()
                        if text.bytes.count > 1 << 16 {
                            try await writer.write(text.bytes)
                            text.removeAll()
                        }
                    }
                    try await writer.write(text.bytes)
                }
            }
            #expect(count == 50_000)
            let row = try await pool.query(
                "SELECT count(*) AS n, sum(n) AS total, (SELECT s FROM t WHERE n = 7) AS odd, (SELECT s IS NULL FROM t WHERE n = 8) AS missing FROM t"
            ).first!
            #expect(try row.decode(Int.self, "n") == 50_000)
            #expect(try row.decode(Int.self, "total") == (0..<50_000).reduce(0, +))
            #expect(try row.decode(String.self, "odd") == "tab\there\nnewline\\slash")
            #expect(try row.decode(Bool.self, "missing"))
        }
    }

    @Test("a bad row fails the whole COPY and stores nothing; the connection stays usable")
    func badRow() async throws {
        try await withPool(connectionsPerLoop: 1) { pool, _, _ in
            _ = try await pool.query("CREATE TABLE t (n int)")
            await #expect(throws: PostgresError.self) {
                try await pool.withConnection { connection in
                    try await connection.copyIn(unsafeSQL: "COPY t (n) FROM STDIN") { writer in
                        try await writer.write(Array("1\n2\nnot-a-number\n4\n".utf8))
                    }
                }
            }
            #expect(try await pool.query("SELECT count(*) AS n FROM t").first!.decode(Int.self, "n") == 0)
        }
    }

    @Test("a writer that throws aborts the COPY")
    func aborted() async throws {
        try await withPool(connectionsPerLoop: 1) { pool, _, _ in
            _ = try await pool.query("CREATE TABLE t (n int)")
            await #expect(throws: PostgresErrorForTests.self) {
                try await pool.withConnection { connection in
                    try await connection.copyIn(unsafeSQL: "COPY t (n) FROM STDIN") { writer in
                        try await writer.write(Array("1\n2\n".utf8))
                        throw PostgresErrorForTests("changed my mind")
                    }
                }
            }
            #expect(try await pool.query("SELECT count(*) AS n FROM t").first!.decode(Int.self, "n") == 0)
        }
    }
}
