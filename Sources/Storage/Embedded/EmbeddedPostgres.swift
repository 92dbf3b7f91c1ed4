internal import CPostgres
import Foundation
import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The PostgreSQL that `palisade serve` runs for itself when no database URL is given.
///
/// `initdb` into `<data dir>/pg` on first start (superuser `palisade`, scram-sha-256, a random
/// password kept 0600 in `<data dir>/pg-password`); `postgres` listens on a Unix socket in
/// `<data dir>/pg-run` and on no TCP port; as root it runs as the unprivileged `postgres` user.
/// It is supervised (restarted once if it dies) and stopped with a fast shutdown.
public final class EmbeddedPostgres: Sendable {
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    public let connectionInfo: String
    private let layout: Layout
    private let logger: Logger
    private let state = Mutex(State())

    private struct State {
        var process: Process?
        var stopping = false
        var restarts = 0
    }

    struct Layout: Sendable {
        let dataDirectory: String
        let binDirectory: String
        let runAs: String?  // nil: this process's own user
        /// Where the cluster and its socket live: the data directory itself, unless the
        /// unprivileged user cannot reach it (see `clusterBase`).
        var base: String
        var cluster: String { base + "/pg" }
        var socketDirectory: String { base + "/pg-run" }
        var passwordFile: String { dataDirectory + "/pg-password" }
        var logFile: String { dataDirectory + "/postgres.log" }
    }

    static let port = 5432

    private init(layout: Layout, password: String, logger: Logger) {
        self.layout = layout
        self.logger = logger
        connectionInfo =
            "host=\(layout.socketDirectory) port=\(Self.port) user=palisade dbname=palisade password=\(password)"
    }

    /// Initialises the cluster if needed, starts it and waits until it accepts connections.
    public static func start(dataDirectory: String, logger: Logger) async throws -> EmbeddedPostgres {
        let runAs = try unprivilegedUser()
        let layout = try Layout(
            dataDirectory: dataDirectory, binDirectory: findBinDirectory(), runAs: runAs,
            base: clusterBase(dataDirectory: dataDirectory, runAs: runAs, logger: logger))
        try prepareDirectories(layout)
        let password = try initialiseIfNeeded(layout, logger: logger)
        let server = EmbeddedPostgres(layout: layout, password: password, logger: logger)
        try await server.launch()
        try await server.createDatabaseIfNeeded()
        return server
    }

    // MARK: Set-up

    static func findBinDirectory() throws -> String {
        if let explicit = ProcessInfo.processInfo.environment["PALISADE_POSTGRES_BIN"] { return explicit }
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).compactMap(Int.init)
            .sorted()
        for version in versions.reversed()
        where FileManager.default.isExecutableFile(atPath: "\(root)/\(version)/bin/postgres") {
            return "\(root)/\(version)/bin"
        }
        throw Failure(
            description: "no PostgreSQL server found under \(root) (install postgresql, or set PALISADE_DATABASE_URL)")
    }

    /// As root, PostgreSQL runs as `postgres` (created if missing); otherwise as ourselves.
    static func unprivilegedUser() throws -> String? {
        guard geteuid() == 0 else { return nil }
        if getpwnam("postgres") == nil {
            let status = try run(
                "/usr/sbin/useradd",
                ["--system", "--home-dir", "/var/lib/postgresql", "--shell", "/usr/sbin/nologin", "postgres"])
            guard status == 0 else { throw Failure(description: "cannot create the postgres system user") }
        }
        return "postgres"
    }

    /// The data directory when the unprivileged user can traverse to it. When it cannot (a data
    /// directory under `/root`, or in a 0700 temporary directory), the cluster goes to
    /// `/var/lib/palisade/embedded/<hash of the data directory path>` instead, rather than
    /// loosening the permissions of directories Palisade does not own.
    static func clusterBase(dataDirectory: String, runAs: String?, logger: Logger) throws -> String {
        guard let user = runAs else { return dataDirectory }
        let parent = URL(fileURLWithPath: dataDirectory).deletingLastPathComponent().path
        if try run("/usr/bin/test", ["-x", parent], as: user) == 0 {
            // Traverse only for others: the unprivileged server reaches its directories, and
            // nobody can list the data directory.
            chmod(dataDirectory, 0o711)
            return dataDirectory
        }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a: a stable name, not a secret.
        for byte in dataDirectory.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        let base = "/var/lib/palisade/embedded/" + String(hash, radix: 16)
        for (directory, mode) in [("/var/lib/palisade", 0o755), ("/var/lib/palisade/embedded", 0o711), (base, 0o711)] {
            if mkdir(directory, mode_t(mode)) != 0 && errno != EEXIST {
                throw Failure(description: "cannot create \(directory): \(String(cString: strerror(errno)))")
            }
        }
        logger.notice(
            "embedded PostgreSQL lives outside the data directory, which its unprivileged user cannot reach",
            ["path": base, "user": user])
        return base
    }

    static func prepareDirectories(_ layout: Layout) throws {
        for directory in [layout.cluster, layout.socketDirectory] {
            if mkdir(directory, 0o700) != 0 && errno != EEXIST {
                throw Failure(description: "cannot create \(directory): \(String(cString: strerror(errno)))")
            }
            chmod(directory, 0o700)
        }
        guard let user = layout.runAs else { return }
        guard let account = getpwnam(user) else { throw Failure(description: "no user \(user)") }
        for directory in [layout.cluster, layout.socketDirectory] {
            guard chown(directory, account.pointee.pw_uid, account.pointee.pw_gid) == 0 else {
                throw Failure(description: "cannot hand \(directory) to \(user): \(String(cString: strerror(errno)))")
            }
        }
    }

    /// Runs `initdb` on first start; returns the superuser password.
    static func initialiseIfNeeded(_ layout: Layout, logger: Logger) throws -> String {
        if FileManager.default.fileExists(atPath: layout.cluster + "/PG_VERSION") {
            if let password = try? String(contentsOfFile: layout.passwordFile, encoding: .utf8), !password.isEmpty {
                return password.trimmingCharacters(in: .whitespacesAndNewlines)
            }
            guard layout.base != layout.dataDirectory else {
                throw Failure(description: "\(layout.cluster) exists but \(layout.passwordFile) is missing")
            }
            // The data directory was deleted and made anew, but the cluster kept outside it was
            // not: it belongs to the old one. Set it aside (never delete data) and start fresh.
            let aside = layout.cluster + ".orphaned-\(Int(Date().timeIntervalSince1970))"
            guard rename(layout.cluster, aside) == 0, mkdir(layout.cluster, 0o700) == 0 else {
                throw Failure(description: "cannot set aside the orphaned cluster \(layout.cluster)")
            }
            try prepareDirectories(layout)
            logger.warning("set aside the PostgreSQL cluster of a previous data directory", ["path": aside])
        }
        let password = randomToken()
        try writeSecret(password, to: layout.passwordFile)
        // initdb reads the password from a file its own user can read; it lives only for the call.
        let transient = layout.socketDirectory + "/initdb-password"
        try writeSecret(password, to: transient, owner: layout.runAs)
        defer { unlink(transient) }
        logger.notice("initialising embedded PostgreSQL", ["path": layout.cluster])
        let status = try run(
            layout.binDirectory + "/initdb",
            [
                "-D", layout.cluster, "-U", "palisade", "--pwfile=\(transient)", "--auth=scram-sha-256", "-E", "UTF8",
                "--no-locale", "--no-instructions",
            ], as: layout.runAs, log: layout.logFile)
        guard status == 0 else {
            throw Failure(
                description: "initdb failed (exit \(status)): \(logTail(layout.logFile)); see \(layout.logFile)")
        }
        return password
    }

    // MARK: Running

    private func launch() async throws {
        let process = Process()
        let arguments = [
            "-D", layout.cluster, "-c", "listen_addresses=", "-c", "unix_socket_directories=\(layout.socketDirectory)",
            "-c", "unix_socket_permissions=0700", "-c", "port=\(Self.port)",
        ]
        try Self.configure(process, layout.binDirectory + "/postgres", arguments, as: layout.runAs, log: layout.logFile)
        process.terminationHandler = { [weak self] process in self?.exited(process.terminationStatus) }
        try process.run()
        state.withLock { $0.process = process }
        logger.notice(
            "started embedded PostgreSQL", ["pid": "\(process.processIdentifier)", "user": layout.runAs ?? "self"])
        try await waitUntilReady(process)
    }

    private func waitUntilReady(_ process: Process) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if PQping(connectionInfo.replacingOccurrences(of: "dbname=palisade", with: "dbname=postgres")) == PQPING_OK
            {
                return
            }
            guard process.isRunning else {
                throw Failure(
                    description:
                        "PostgreSQL exited during start-up (status \(process.terminationStatus)); see \(layout.logFile): \(logTail())"
                )
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw Failure(description: "PostgreSQL did not become ready within 60 s; see \(layout.logFile)")
    }

    private func createDatabaseIfNeeded() async throws {
        let admin = connectionInfo.replacingOccurrences(of: "dbname=palisade", with: "dbname=postgres")
        try Self.blockingExec(admin, "SELECT 1 FROM pg_database WHERE datname = 'palisade'") { rows in
            if rows == 0 { try Self.blockingExec(admin, "CREATE DATABASE palisade") { _ in } }
        }
    }

    /// Start-up only (never on a loop): a synchronous libpq round trip for bootstrap commands.
    static func blockingExec(_ conninfo: String, _ sql: String, _ body: (Int) throws -> Void) throws {
        guard let connection = PQconnectdb(conninfo) else { throw Failure(description: "out of memory") }
        defer { PQfinish(connection) }
        guard PQstatus(connection) == CONNECTION_OK else {
            throw Failure(
                description: "cannot connect to embedded PostgreSQL: \(String(cString: PQerrorMessage(connection)))")
        }
        guard let result = PQexec(connection, sql) else { throw Failure(description: "out of memory") }
        defer { PQclear(result) }
        let status = PQresultStatus(result)
        guard status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK else {
            throw Failure(description: "bootstrap statement failed: \(String(cString: PQresultErrorMessage(result)))")
        }
        try body(Int(PQntuples(result)))
    }

    private func exited(_ status: Int32) {
        enum Next { case nothing, restart, giveUp }
        let next = state.withLock { state -> Next in
            state.process = nil
            if state.stopping { return .nothing }
            guard state.restarts == 0 else { return .giveUp }
            state.restarts += 1
            return .restart
        }
        if next == .nothing { return }
        guard next == .restart else {
            logger.critical(
                "embedded PostgreSQL exited again; not restarting", ["status": "\(status)", "log": layout.logFile])
            return
        }
        logger.error(
            "embedded PostgreSQL exited unexpectedly; restarting it once",
            ["status": "\(status)", "log": layout.logFile])
        Task { [self] in
            do { try await launch() } catch {
                logger.critical("cannot restart embedded PostgreSQL", ["error": "\(error)"])
            }
        }
    }

    /// Fast shutdown (SIGINT): open sessions are rolled back, the cluster is consistent.
    public func stop() async {
        let process = state.withLock { state -> Process? in
            state.stopping = true
            return state.process
        }
        guard let process, process.isRunning else { return }
        kill(process.processIdentifier, SIGINT)
        let deadline = ContinuousClock.now + .seconds(30)
        while process.isRunning && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(50)) }
        if process.isRunning { kill(process.processIdentifier, SIGQUIT) }
        logger.notice("stopped embedded PostgreSQL")
    }

    // MARK: Helpers

    private func logTail() -> String { Self.logTail(layout.logFile) }

    /// The last error-looking line of a PostgreSQL log (or its last line), for one-line failures.
    static func logTail(_ path: String) -> String {
        let lines = ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n")
        let last = lines.last { $0.contains("error") || $0.contains("FATAL") || $0.contains("PANIC") } ?? lines.last
        return last.map(String.init) ?? "no log output"
    }

    static func configure(
        _ process: Process, _ executable: String, _ arguments: [String], as user: String?, log: String
    ) throws {
        if let user {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
            process.arguments =
                ["--reuid=\(user)", "--regid=\(user)", "--init-groups", "--reset-env", executable] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
        }
        let fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw Failure(description: "cannot open \(log)") }
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        process.currentDirectoryURL = URL(fileURLWithPath: "/")
    }

    @discardableResult
    static func run(_ executable: String, _ arguments: [String], as user: String? = nil, log: String = "/dev/null")
        throws -> Int32
    {
        let process = Process()
        try configure(process, executable, arguments, as: user, log: log)
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }

    static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }

    static func writeSecret(_ secret: String, to path: String, owner: String? = nil) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw Failure(description: "cannot write \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        fchmod(fd, 0o600)
        if let owner, let account = getpwnam(owner) { fchown(fd, account.pointee.pw_uid, account.pointee.pw_gid) }
        let bytes = Array(secret.utf8)
        guard bytes.withUnsafeBytes({ Glibc.write(fd, $0.baseAddress, $0.count) }) == bytes.count else {
            throw Failure(description: "cannot write \(path)")
        }
    }
}
