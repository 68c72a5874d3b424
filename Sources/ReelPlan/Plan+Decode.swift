extension Plan {
    /// Pixel frames of the decoded clip: the job's `1 + s·(F_lat − 1)`, or for a
    /// loop `s·F_lat` (s the temporal stride), since a looped clip is decoded as a
    /// circle in which every latent frame, frame 0 included, is `s` pixel frames.
    public var decodedFrames: Int {
        config.loop ? geometry.model.temporalStride * latent.frames : geometry.job.frames
    }

    /// The decode stage's chunks of `size` latent frames, warmed up by `warmup`
    /// (see ``DecodeChunk/layout(latentFrames:size:warmup:temporalStride:loop:)``);
    /// a loop's are laid out on its circle.
    public func decodeChunks(size: Int, warmup: Int) -> [DecodeChunk] {
        DecodeChunk.layout(
            latentFrames: latent.frames, size: size, warmup: warmup, temporalStride: geometry.model.temporalStride, loop: config.loop)
    }

    /// The chunks that stored records of their frames and warm-up (a job's decode
    /// chunks, or some of them) stand for in this plan's clip: on the circle for a
    /// loop, unless chunk 0 is recorded without warm-up. A loop's chunk 0 always has
    /// some since loops are decoded as circles, so such a loop began decoding before
    /// that, laid out start to end, and its chunks keep that meaning: the segments
    /// already made and the ones still to come then join.
    public func decodeChunks(recorded: [(index: Int, frames: Range<Int>, warmup: Int)]) -> [DecodeChunk] {
        let startToEnd = recorded.contains { $0.index == 0 && $0.warmup == 0 }
        let cycle = config.loop && !startToEnd ? latent.frames : nil
        return recorded.map {
            DecodeChunk(index: $0.index, frames: $0.frames, warmup: $0.warmup, temporalStride: geometry.model.temporalStride, cycle: cycle)
        }
    }
}
