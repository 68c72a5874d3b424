import Foundation
import ReelPlan
import ReelWire

/// One of a job's conditioning sources being VAE-encoded, as the core tracks it:
/// its lease (the same state machine and fencing token as a shard's). The job's
/// shards stay pending until every one is done (and the prompt encoding, if any).
struct SourceEncodingProgress: Sendable {
    var machine: ShardStateMachine
    var token: Int
    /// The encoded latents' blob, once done.
    var latentsSHA: String?

    var isDone: Bool { machine.state.name == .done }
}

/// A source encoding the database leased to a worker.
struct SourceClaim: Sendable, Equatable {
    var job: Int64
    var encoding: Int
    var attempt: Int
    var sourceSHA: String
}

/// What the `inputs` lane needs to build a source encoding's assignment: the
/// source's blob (read there) and how the worker conforms it.
struct SourceAssignmentOrder: Sendable {
    var peer: PeerID
    var job: Int64
    var encoding: Int
    var token: Int
    var model: String
    var sourceSHA: String
    var kind: ConditioningSource.Kind
    /// The conformed size in pixels (the item's box, or the frame).
    var width: Int
    var height: Int
    var fit: SourceFit
    var firstFrame: Int
    var frameCount: Int
    var fps: Int
}

/// Everything the `records` lane needs to check, store and commit encoded source latents.
struct SourceResultOrder: Sendable {
    var peer: PeerID
    var worker: String
    var job: Int64
    var encoding: Int
    var token: Int
    var model: String
    /// `[C, t, h, w]`: the item's latent box.
    var shape: [Int]
    /// The first block's shards, made ready by the commit when it is the job's last encoding.
    var firstShards: [ShardID]
    var frames: [Data]
}
