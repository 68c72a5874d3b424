/// Where one shard is in its life. The store persists ``name`` (a Postgres enum)
/// next to the associated values; see `ReelPlan.docc/STATES.md` for the diagram.
public enum ShardState: Hashable, Sendable {
    /// Waiting for the previous block's overlapping shards.
    case pending
    /// Dependencies done; may be leased once `notBefore` (a retry backoff) has passed.
    /// `attempts` counts the attempts already made.
    case ready(attempts: Int, notBefore: Timestamp?)
    /// A worker is denoising it until `expiresAt` unless it heartbeats. `attempt` is
    /// this attempt's number, from 1.
    case leased(worker: String, attempt: Int, expiresAt: Timestamp)
    /// Output stored.
    case done(worker: String, attempt: Int)
    /// Every attempt failed; the job fails. A job retry resets it to pending.
    case failed(attempts: Int, reason: String)
    /// The job was cancelled.
    case cancelled

    /// The persisted name of each state.
    public enum Name: String, Hashable, Sendable, CaseIterable, Codable {
        case pending, ready, leased, done, failed, cancelled
    }

    /// This state's persisted name.
    public var name: Name {
        switch self {
        case .pending: return .pending
        case .ready: return .ready
        case .leased: return .leased
        case .done: return .done
        case .failed: return .failed
        case .cancelled: return .cancelled
        }
    }

    /// Whether no event moves the shard on (failed is not final: a job retry resets it).
    public var isFinal: Bool { self == .cancelled || name == .done }
}
