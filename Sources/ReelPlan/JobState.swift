/// Where a job is in its life. The store persists ``name`` (a Postgres enum) next
/// to the associated values; see `ReelPlan.docc/STATES.md` for the diagram.
public enum JobState: Hashable, Sendable {
    /// Accepted and planned; no shard has been handed out.
    case queued
    /// Shards are being denoised. `attempt` counts runs, from 1 (retries add one).
    case running(attempt: Int)
    /// Every shard is done; the blended latent is being decoded to video.
    case decoding(attempt: Int)
    /// The video is stored.
    case succeeded
    /// A shard ran out of attempts or decoding failed; a retry runs it again.
    case failed(attempt: Int, reason: String)
    /// Cancelled by a user.
    case cancelled

    /// The persisted name of each state.
    public enum Name: String, Hashable, Sendable, CaseIterable, Codable {
        case queued, running, decoding, succeeded, failed, cancelled
    }

    /// This state's persisted name.
    public var name: Name {
        switch self {
        case .queued: return .queued
        case .running: return .running
        case .decoding: return .decoding
        case .succeeded: return .succeeded
        case .failed: return .failed
        case .cancelled: return .cancelled
        }
    }

    /// Whether no event moves the job on. Failed is not final: it can be retried.
    public var isFinal: Bool { self == .succeeded || self == .cancelled }
}
