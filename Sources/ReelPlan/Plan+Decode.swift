extension Plan {
    /// Pixel frames of the decoded clip: the job's `1 + s·(F_lat − 1)`, or for a
    /// loop `s·F_lat` (s the temporal stride), since a looped clip is decoded as a
    /// circle in which every latent frame, frame 0 included, is `s` pixel frames.
    public var decodedFrames: Int {
        config.loop ? geometry.model.temporalStride * latent.frames : geometry.job.frames
    }

    /// The decode stage's chunks of `size` latent frames, warmed up by `warmup`
    /// (see ``DecodeChunk/layout(latentFrames:size:warmup:temporalStride:loop:)``);
    /// a loop's are laid out on its circle. For a model that draws latent frame 0 in
    /// later form chunks hold at least 2 frames: a run that starts the clip is led by
    /// its latent frame 1 (``readsLaterStart(_:)``), so chunk 0 must hold it.
    public func decodeChunks(size: Int, warmup: Int) -> [DecodeChunk] {
        let least = geometry.model.firstLatentForm == .later ? 2 : 1
        return DecodeChunk.layout(
            latentFrames: latent.frames, size: max(size, least), warmup: warmup, temporalStride: geometry.model.temporalStride,
            loop: config.loop)
    }

    /// Whether `chunk`'s decode run reads the clip's latent frame 0 in later form: the
    /// run starts the clip (``DecodeChunk/startsClip``) of a model that draws that
    /// frame so (``ModelGeometry/firstLatentForm``); `DecodeAssignment.later_start`.
    public func readsLaterStart(_ chunk: DecodeChunk) -> Bool {
        geometry.model.firstLatentForm == .later && chunk.startsClip
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
