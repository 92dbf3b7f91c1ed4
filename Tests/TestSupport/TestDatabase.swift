import Foundation
import HTTP
import Logging
import Storage

/// A fresh database per test on the suite's PostgreSQL (`PALISADE_TEST_DATABASE_URL`, started by
/// `scripts/test-postgres.sh`). Tests fail loudly, rather than skip, when it is not there.
public struct TestDatabase: Sendable {
    public static let adminURL = ProcessInfo.processInfo.environment["PALISADE_TEST_DATABASE_URL"]

    public let name: String
    public let connectionInfo: String

    public static func create() async throws -> TestDatabase {
        guard let admin = adminURL else {
            throw PostgresErrorForTests(
                "PALISADE_TEST_DATABASE_URL is not set: run the suite through scripts/test.sh, or start "
                    + "scripts/test-postgres.sh and export what it prints")
        }
        let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let group = try EventLoopGroup(count: 1)
        defer { group.stop() }
        let connection = try await PostgresConnection.connect(admin, on: group.loops[0])
        _ = try await connection.simpleQuery(unsafeSQL: "CREATE DATABASE \(name)")
        connection.close()
        return TestDatabase(
            name: name, connectionInfo: admin.replacingOccurrences(of: "dbname=postgres", with: "dbname=\(name)"))
    }

    public func drop() async {
        guard let admin = Self.adminURL, let group = try? EventLoopGroup(count: 1) else { return }
        defer { group.stop() }
        if let connection = try? await PostgresConnection.connect(admin, on: group.loops[0]) {
            _ = try? await connection.simpleQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
            connection.close()
        }
    }
}

public struct PostgresErrorForTests: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
