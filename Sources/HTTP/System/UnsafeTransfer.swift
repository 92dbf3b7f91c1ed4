/// Moves a non-Sendable value to another thread when the caller guarantees exclusive hand-off.
/// Every use says why in a `Safety:` comment.
struct UnsafeTransfer<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
