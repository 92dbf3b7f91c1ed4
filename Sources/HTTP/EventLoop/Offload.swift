import Dispatch

/// CPU-heavy work (password hashing, certificate signing) runs on Dispatch, never on an event
/// loop; the awaiting task resumes on its own executor afterwards.
public enum Offload {
    public static func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global(qos: .userInitiated).async {
                continuation.resume(with: Result { try work() })
            }
        }
    }
}
