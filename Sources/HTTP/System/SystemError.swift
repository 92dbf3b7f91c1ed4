#if canImport(Glibc)
    import Glibc
#endif

/// A failed system call: which call, and the `errno` it left.
public struct SystemError: Error, CustomStringConvertible, Sendable {
    public let call: String
    public let errno: Int32

    public var description: String {
        "\(call) failed: \(String(cString: strerror(errno))) (errno \(errno))"
    }
}

/// Runs a system call, retrying on `EINTR` and turning a negative result into a `SystemError`.
@inline(__always)
@discardableResult
func retryingEINTR<T: BinaryInteger>(_ call: String, _ body: () -> T) throws(SystemError) -> T {
    while true {
        let result = body()
        if result >= 0 { return result }
        let code = Glibc.errno
        if code == EINTR { continue }
        throw SystemError(call: call, errno: code)
    }
}

/// The outcome of a non-blocking read or write.
enum IOResult: Equatable {
    case processed(Int)
    case wouldBlock
    case closed
}
