/// Why palisade-enforcer stops: 64 bad usage, 69 server unreachable or refusing, 1 otherwise.
struct Failure: Error, CustomStringConvertible {
    let description: String
    let status: Int32

    static func usage(_ message: String) -> Failure {
        Failure(description: message + " (see 'palisade-enforcer --help')", status: 64)
    }
    static func unavailable(_ message: String) -> Failure { Failure(description: message, status: 69) }
    static func failed(_ message: String) -> Failure { Failure(description: message, status: 1) }
}
