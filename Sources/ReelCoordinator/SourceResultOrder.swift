import Foundation
import ReelPlan
import ReelWire

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
    /// Whether the commit also fills the latents cache (``SourceEncodingProgress/caches``).
    var cache = true
}
