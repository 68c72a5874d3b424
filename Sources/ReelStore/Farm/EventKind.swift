/// What an event records. The store writes the kinds below; the coordinator may
/// add its own (`EventKind("decode.started")`), any non-empty string.
public struct EventKind: RawRepresentable, Hashable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
    public var rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }

    public var description: String { rawValue }

    public static let jobCreated: EventKind = "job.created"
    public static let jobState: EventKind = "job.state"
    public static let jobDecoding: EventKind = "job.decoding"
    public static let jobSucceeded: EventKind = "job.succeeded"
    public static let jobFailed: EventKind = "job.failed"
    public static let jobCancelled: EventKind = "job.cancelled"
    public static let jobRetried: EventKind = "job.retried"
    public static let workerRegistered: EventKind = "worker.registered"
    public static let workerState: EventKind = "worker.state"
    public static let shardDone: EventKind = "shard.done"
    public static let shardStale: EventKind = "shard.stale"
    public static let shardRetry: EventKind = "shard.retry"
    public static let shardFailed: EventKind = "shard.failed"
    public static let chunkDone: EventKind = "chunk.done"
    public static let chunkStale: EventKind = "chunk.stale"
    public static let chunkRetry: EventKind = "chunk.retry"
    public static let chunkFailed: EventKind = "chunk.failed"

    /// `shard.done` / `chunk.done`: a result was accepted.
    static func done(_ table: LeaseTable) -> EventKind { EventKind("\(table.eventPrefix).done") }
    /// A result or failure report from a lease that is no longer current was dropped.
    static func stale(_ table: LeaseTable) -> EventKind { EventKind("\(table.eventPrefix).stale") }
    /// An attempt failed; the item is back to ready after a backoff.
    static func retry(_ table: LeaseTable) -> EventKind { EventKind("\(table.eventPrefix).retry") }
    /// An item ran out of tries.
    static func failed(_ table: LeaseTable) -> EventKind { EventKind("\(table.eventPrefix).failed") }
}
