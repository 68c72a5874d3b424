import Foundation
import ReelPlan
import ReelWire

/// A job's prompt encoding as the core tracks it: what to encode, and its lease
/// (the same state machine and fencing token as a shard's). The job's shards stay
/// pending until it is done.
struct PromptEncodingProgress: Sendable {
    var prompt: String
    /// Encoded too when guidance uses it; `nil` for none.
    var negativePrompt: String?
    var machine: ShardStateMachine { didSet { if machine.state.name != oldValue.state.name { revision = Revision.next() } } }
    var token: Int { didSet { if token != oldValue { revision = Revision.next() } } }
    /// Moved on by every change of the state's name or the token (``ReconcileBaseline``,
    /// as ``ShardRecord/revision``).
    private(set) var revision = Revision.next()
    /// A prompt timeline's distinct later prompts, encoded in the same item
    /// (``JobTimeline/laterTexts(of:)``); empty without a timeline.
    var laterPrompts: [String] = []

    /// Whether it can be leased at `now`.
    func isReady(now: Timestamp) -> Bool {
        if case .ready(_, let notBefore) = machine.state { return notBefore.map { $0 <= now } ?? true }
        return false
    }

    var isDone: Bool { machine.state.name == .done }
}

/// Where a job's prompt embeddings came from, recorded with the job (``StoredJob``)
/// and shown by `reel status`.
enum EmbeddingsSource: String, Codable, Sendable {
    /// The built-in stand-in embedder (words hashed to seeded vectors): only for
    /// a model whose folder has no text encoder.
    case standIn = "stand-in"
    /// `--prompt-embeds` (and `--negative-prompt-embeds`) files.
    case file
    /// The model's text encoder, on a worker, for this job.
    case worker = "encoded on a worker"
    /// The model's text encoder, on a worker, for an earlier job with the same
    /// model digest and prompts (the embeddings cache).
    case cache = "encoded on a worker (cached)"
}

/// A prompt encoding the database leased to a worker.
struct EncodingClaim: Sendable, Equatable {
    var job: Int64
    var attempt: Int
}

/// Everything the `records` lane needs to check, store and commit an encoded prompt.
struct PromptResultOrder: Sendable {
    var peer: PeerID
    var worker: String
    var job: Int64
    var token: Int
    var model: String
    /// `[1, textTokens, textDim]` each.
    var textTokens: Int
    var textDim: Int
    var negative: Bool
    /// The first block's shards, made ready by the commit.
    var firstShards: [ShardID]
    var frames: [Data]
    /// How many later prompts' embeddings the result must carry, and how a
    /// truncation note names each (``JobTimeline/laterLabels(of:)``).
    var laterLabels: [String] = []
    /// How a truncation note names the prompt: "prompt", or "first prompt" of a timeline.
    var promptLabel: String = "prompt"
}

/// How recording an encoded prompt ended.
enum PromptRecordOutcome: Sendable {
    /// `laterSHAs`: the blobs of the encoding's later prompts, in its order.
    case committed(promptSHA: String, negativeSHA: String?, laterSHAs: [String] = [])
    case stale(String)
    case invalid(String)
    case unrecorded(String)
}
