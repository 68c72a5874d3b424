import Foundation

/// A flag set once from any thread (a signal handler's task, the HTTP server's end).
public final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    public init() {}
    public var isSet: Bool { lock.withLock { value } }
    public func set() { lock.withLock { value = true } }
    /// Lowers the flag again (tests toggle behaviour with it).
    public func clear() { lock.withLock { value = false } }
}
