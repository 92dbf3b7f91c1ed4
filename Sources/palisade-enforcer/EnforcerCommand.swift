import Foundation
import HTTP
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// `palisade-enforcer`: enroll a node, run it, or simulate a fleet.
enum EnforcerCommand {
    static let help = """
        Usage:
          palisade-enforcer enroll --server HOST:PORT --token JOIN_TOKEN [--ca FILE] [--hostname NAME] [--state-dir DIR]
          palisade-enforcer run --server HOST:PORT --inventory FILE [--state-dir DIR] [--interval SECONDS] [--duration SECONDS]
          palisade-enforcer --server HOST:PORT --token JOIN_TOKEN --simulate N [--duration SECONDS] [--ca FILE]
                            [--state-dir DIR] [--interval SECONDS]

        enroll    makes a P-256 key and CSR, enrolls with the join token, and keeps the key,
                  certificate and Palisade's CA in the state directory (mode 0600).
        run       uploads the inventory (JSON: {"host": {...}, "workloads": [...]}), follows the
                  policy stream, acks each revision, renews the certificate when due.
        --simulate enrolls N simulated nodes (the join token needs N uses) and runs them with
                  synthetic workloads and traffic decided by the rules each receives, printing a
                  progress line every 2 s, until SIGINT or --duration.

        --ca      Palisade's CA certificate, trusted for the first contact (default: system store)
        --state-dir  default ./.palisade-enforcer
        Exit status: 0 ok, 64 bad usage, 69 server unreachable or refusing, 1 otherwise.
        """

    static let flags: Set<String> = ["help"]
    static let stop = Atomic<Bool>(false)

    static func main(_ arguments: [String]) -> Int32 {
        do {
            let allowed: Set<String> = [
                "server", "token", "ca", "hostname", "state-dir", "inventory", "interval", "duration", "simulate",
            ]
            var options: [String: String] = [:]
            var words: [String] = []
            var index = 0
            while index < arguments.count {
                let argument = arguments[index]
                index += 1
                if argument == "--help" || argument == "-h" {
                    print(help)
                    return 0
                }
                guard argument.hasPrefix("--") else {
                    words.append(argument)
                    continue
                }
                let name = String(argument.dropFirst(2))
                guard allowed.contains(name) else { throw Failure.usage("unknown option --\(name)") }
                guard options[name] == nil else { throw Failure.usage("--\(name) is given twice") }
                guard index < arguments.count else { throw Failure.usage("--\(name) needs a value") }
                options[name] = arguments[index]
                index += 1
            }
            guard let serverText = options["server"] else { throw Failure.usage("--server HOST:PORT is required") }
            let server = try parseServer(serverText)
            NodeAgent.server = server
            let stateDirectory = options["state-dir"] ?? "./.palisade-enforcer"
            let interval = try number(options["interval"] ?? "1", "--interval", 0.05...3600)
            let duration = try options["duration"].map { try number($0, "--duration", 1...31_536_000) }
            switch words {
            case ["enroll"]:
                guard let token = options["token"] else { throw Failure.usage("enroll needs --token") }
                let hostname = options["hostname"] ?? ProcessInfo.processInfo.hostName
                let identity = try enroll(
                    server: server, ca: options["ca"], token: token, hostname: hostname, directory: stateDirectory)
                print("palisade-enforcer: enrolled as \(identity.enforcerID) (state in \(stateDirectory))")
            case ["run"]:
                guard let inventoryPath = options["inventory"] else {
                    throw Failure.usage("run needs --inventory FILE")
                }
                guard let identity = NodeIdentity.load(from: stateDirectory) else {
                    throw Failure.usage("not enrolled: run 'palisade-enforcer enroll' first")
                }
                guard let data = FileManager.default.contents(atPath: inventoryPath),
                    let inventory = try? JSONCoding.decode(JSONValue.self, from: Array(data))
                else { throw Failure.usage("cannot read the inventory \(inventoryPath)") }
                let hostname = inventory["host"]?["name"]?.string ?? ProcessInfo.processInfo.hostName
                let progress = Progress()
                let agent = try NodeAgent(
                    hostname: hostname, identity: identity, inventory: inventory, progress: progress, tick: nil)
                try runUntilStopped([agent], progress: progress, interval: interval, duration: duration)
            case []:
                guard let countText = options["simulate"] else {
                    throw Failure.usage("say enroll, run or --simulate N")
                }
                guard let count = Int(countText), (1...10_000).contains(count) else {
                    throw Failure.usage("--simulate takes 1 to 10000 nodes")
                }
                guard let token = options["token"] else { throw Failure.usage("--simulate needs --token") }
                try simulate(
                    count, server: server, ca: options["ca"], token: token, directory: stateDirectory,
                    interval: interval, duration: duration)
            default:
                throw Failure.usage("unknown command '\(words.joined(separator: " "))'")
            }
            return 0
        } catch let failure as Failure {
            FileHandle.standardError.write(Data("palisade-enforcer: \(failure.description)\n".utf8))
            return failure.status
        } catch {
            FileHandle.standardError.write(Data("palisade-enforcer: \(error)\n".utf8))
            return 69
        }
    }

    static func parseServer(_ text: String) throws(Failure) -> (host: String, port: UInt16) {
        guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]), port > 0
        else { throw .usage("--server must be HOST:PORT") }
        let host = String(text[..<colon]).trimmingCharacters(in: ["[", "]"])
        guard !host.isEmpty else { throw .usage("--server must be HOST:PORT") }
        return (host, port)
    }

    static func number(_ text: String, _ name: String, _ range: ClosedRange<Double>) throws(Failure) -> Double {
        guard let value = Double(text), range.contains(value) else {
            throw .usage("\(name) must be a number from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    static func enroll(
        server: (host: String, port: UInt16), ca: String?, token: String, hostname: String, directory: String
    )
        throws -> NodeIdentity
    {
        guard ca == nil || FileManager.default.isReadableFile(atPath: ca!) else {
            throw Failure.usage("cannot read --ca \(ca!)")
        }
        do {
            return try NodeIdentity.enroll(
                server: server, caPath: ca ?? "/etc/ssl/certs/ca-certificates.crt", token: token, hostname: hostname,
                directory: directory)
        } catch let failure as Failure {
            throw Failure.unavailable("enrollment refused: \(failure.description)")
        }
    }

    static func simulate(
        _ count: Int, server: (host: String, port: UInt16), ca: String?, token: String, directory: String,
        interval: Double, duration: Double?
    ) throws {
        let simulation = Simulation(nodes: count)
        let progress = Progress()
        var agents: [NodeAgent] = []
        for node in 0..<count {
            let hostname = simulation.hostname(node)
            let identity = try enroll(
                server: server, ca: ca, token: token, hostname: hostname, directory: "\(directory)/\(hostname)")
            agents.append(
                try NodeAgent(
                    hostname: hostname, identity: identity, inventory: simulation.inventory(node), progress: progress,
                    tick: { ruleSet in simulation.tick(node, ruleSet: ruleSet) }))
        }
        try runUntilStopped(agents, progress: progress, interval: interval, duration: duration)
    }

    static func runUntilStopped(_ agents: [NodeAgent], progress: Progress, interval: Double, duration: Double?) throws {
        signal(SIGINT) { _ in EnforcerCommand.stop.store(true, ordering: .relaxed) }
        signal(SIGTERM) { _ in EnforcerCommand.stop.store(true, ordering: .relaxed) }
        for agent in agents { agent.start(interval: interval) }
        let started = Date()
        while !stop.load(ordering: .relaxed) {
            Thread.sleep(forTimeInterval: min(2, duration ?? 2))
            FileHandle.standardError.write(Data((progress.line(nodes: agents.count) + "\n").utf8))
            if let duration, Date().timeIntervalSince(started) >= duration { break }
        }
        for agent in agents {
            agent.stop()
            _ = try? agent.flush()
        }
        print(progress.line(nodes: agents.count))
    }
}
