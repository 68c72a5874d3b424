import Foundation

/// A flag set once from any thread: what the CLI's signal handlers, the local
/// farm and the tests stop coordinators and workers with (their loops take a plain
/// `() -> Bool`, so the flag lives here, above them).
public final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    public init() {}
    public var isSet: Bool { lock.withLock { value } }
    public func set() { lock.withLock { value = true } }
    /// Lowers the flag again (tests toggle behaviour with it).
    public func clear() { lock.withLock { value = false } }
}
