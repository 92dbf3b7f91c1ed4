import Dispatch

#if canImport(Glibc)
    import Glibc
#endif

/// Catches SIGTERM and SIGINT for executables that run a server until told to stop.
///
/// Create it before the server starts: from then on, a termination signal is remembered
/// instead of killing the process, even if it arrives before anyone waits. Also ignores SIGPIPE,
/// which a write to a closed socket would otherwise turn into process death.
public final class ShutdownSignal: Sendable {
    private let stream: AsyncStream<String>
    private let sources: UnsafeTransfer<[DispatchSourceSignal]>

    public init() {
        signal(SIGPIPE, SIG_IGN)
        let (stream, continuation) = AsyncStream<String>.makeStream(bufferingPolicy: .bufferingOldest(1))
        let queue = DispatchQueue(label: "palisade.signals")
        let sources = [(SIGTERM, "SIGTERM"), (SIGINT, "SIGINT")].map { number, name -> DispatchSourceSignal in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { continuation.yield(name) }
            source.resume()
            return source
        }
        self.stream = stream
        // Safety (UnsafeTransfer): the sources are only held, to keep them alive, never touched.
        self.sources = UnsafeTransfer(sources)
    }

    /// Returns the name of the first termination signal received.
    public func wait() async -> String {
        for await name in stream { return name }
        return "end of signal stream"
    }
}
