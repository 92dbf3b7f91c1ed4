/// Why palisadectl stops, and its exit status (sysexits.h): 64 bad usage, 65 bad input file,
/// 69 server unreachable, 1 the API refused the request.
struct Failure: Error {
    let message: String
    let status: Int32

    static func usage(_ message: String) -> Failure {
        Failure(message: message + " (see 'palisadectl --help')", status: 64)
    }
    static func data(_ message: String) -> Failure { Failure(message: message, status: 65) }
    static func unavailable(_ message: String) -> Failure { Failure(message: message, status: 69) }
    static func api(_ message: String) -> Failure { Failure(message: message, status: 1) }
}
