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

    /// The chunk that a stored record of its frames and warm-up stands for in this
    /// plan's clip: on the circle for a loop.
    public func decodeChunk(index: Int, frames: Range<Int>, warmup: Int) -> DecodeChunk {
        DecodeChunk(
            index: index, frames: frames, warmup: warmup, temporalStride: geometry.model.temporalStride,
            cycle: config.loop ? latent.frames : nil)
    }
}
