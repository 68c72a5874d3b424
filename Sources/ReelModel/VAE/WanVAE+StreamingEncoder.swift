import ReelTensor

extension WanVAE {
    /// Encodes one video as its frames arrive, in any chunk sizes: the causal encoder
    /// runs on the first frame, then on each group of 4 as it fills, exactly as
    /// ``WanVAE/encode(_:)`` does (which is built on it). Memory holds at most 4 pending
    /// frames, the encoder's frame caches and the latent means so far, whatever the
    /// clip length, so a long conditioning source need never be whole in memory.
    ///
    /// ```swift
    /// var encoder = try WanVAE.StreamingEncoder(vae: vae)
    /// for chunk in chunks { try encoder.append(chunk) }   // (3, n, H, W) each
    /// let mean = try encoder.finish()                     // (z, 1 + k, H/8, W/8)
    /// ```
    public struct StreamingEncoder {
        let vae: WanVAE
        var cache = WanFeatureCache()
        /// Channels-last frames `(H, W, C)` received but not yet encoded (fewer than a group).
        var pending = [Float]()
        var pendingFrames = 0
        /// `[H, W, C]` of the first chunk; every later chunk must match.
        var frameShape: [Int]?
        /// Frames received so far (named in the error when the total is not 1 + 4k).
        public private(set) var frameCount = 0
        /// The latent means encoded so far, channels-last `(t, h, w, z)` per group.
        var means = [Tensor]()

        /// Starts an empty stream for `vae`.
        /// - Throws: ``ModelError/unsupportedOption(path:key:value:supported:)`` when the
        ///   VAE halves time more than twice (diffusers encodes 4 frames at a time).
        public init(vae: WanVAE) throws(ModelError) {
            guard vae.config.temporalStride <= 4 else {
                throw .unsupportedOption(
                    path: "(config)", key: "temperal_downsample", value: "\(vae.config.temperal_downsample)",
                    supported: "encoding halves time at most twice, as diffusers encodes 4 frames at a time")
            }
            self.vae = vae
        }

        /// Frames the next encoder call takes: the first frame alone, then 4 at a time.
        var groupSize: Int { means.isEmpty ? 1 : 4 }

        /// Takes the next frames `(in_channels, n, H, W)` in [−1, 1] (n ≥ 0, any split of
        /// the video) and encodes every group they complete.
        /// - Throws: ``ModelError/inputShape(name:expected:actual:)`` for a wrong channel
        ///   count, sizes that are not multiples of the spatial stride, or sizes that differ
        ///   from the first chunk's.
        public mutating func append(_ frames: Tensor) throws(ModelError) {
            let s = frames.shape, stride = vae.config.spatialStride
            guard s.count == 4, s[0] == vae.config.in_channels, s[2] > 0, s[3] > 0, s[2] % stride == 0, s[3] % stride == 0,
                frameShape.map({ $0 == [s[2], s[3], s[0]] }) ?? true
            else {
                let size = frameShape.map { "\($0[0]), \($0[1])" } ?? "H, W"
                throw .inputShape(
                    name: "sample",
                    expected: "(\(vae.config.in_channels), n, \(size)) with H and W multiples of \(stride), the same in every chunk",
                    actual: s)
            }
            guard s[1] > 0 else { return }
            frameShape = [s[2], s[3], s[0]]
            frameCount += s[1]
            // Channels-last, as the encoder runs; one copy of this chunk only.
            let x = try kernel { () throws(TensorError) in try frames.permuted([1, 2, 3, 0]) }
            let frameSize = x.count / s[1]
            var next = 0
            // Complete the group earlier chunks left open.
            if pendingFrames > 0 {
                let take = min(groupSize - pendingFrames, s[1])
                pending.append(contentsOf: x.storage[0 ..< take * frameSize])
                pendingFrames += take
                next = take
                if pendingFrames == groupSize {
                    let group = try kernel { () throws(TensorError) in try Tensor(shape: [pendingFrames] + frameShape!, storage: pending) }
                    pending.removeAll(keepingCapacity: true)
                    pendingFrames = 0
                    try encodeGroup(group)
                }
            }
            // Whole groups straight from the chunk, without copying them to `pending`.
            while pendingFrames == 0, s[1] - next >= groupSize {
                let size = groupSize
                try encodeGroup(x.frames(next ..< next + size))
                next += size
            }
            if next < s[1] {
                pending.append(contentsOf: x.storage[next * frameSize ..< s[1] * frameSize])
                pendingFrames += s[1] - next
            }
        }

        /// One group through the encoder and `quant_conv` (a 1×1×1 convolution, so per
        /// group it equals the whole clip's), keeping only the distribution's mean.
        mutating func encodeGroup(_ group: Tensor) throws(ModelError) {
            let moments = try vae.quant_conv(try vae.encoder(group, cache: &cache))
            // DiagonalGaussianDistribution: the first z channels are the mean.
            let z = vae.config.z_dim, rows = moments.count / (2 * z)
            var mean = [Float](repeating: 0, count: rows * z)
            for r in 0 ..< rows {
                for j in 0 ..< z { mean[r * z + j] = moments.storage[r * 2 * z + j] }
            }
            means.append(try kernel { () throws(TensorError) in try Tensor(shape: Array(moments.shape.dropLast()) + [z], storage: mean) })
        }

        /// The mean of `vae.encode(video).latent_dist` for the frames appended: `(z, 1 + k,
        /// H/s, W/s)`, what ``WanVAE/encode(_:)`` returns for one batch entry.
        /// - Throws: ``ModelError/inputShape(name:expected:actual:)`` naming the frame count
        ///   when it is not 1 + 4k (the encoder takes the first frame, then 4 at a time).
        public func finish() throws(ModelError) -> Tensor {
            guard frameCount >= 1, pendingFrames == 0, let frameShape else {
                throw .inputShape(
                    name: "sample",
                    expected: "1 + 4k frames (the encoder takes the first frame, then 4 at a time), not \(frameCount) frames",
                    actual: [vae.config.in_channels, frameCount] + (frameShape.map { Array($0.prefix(2)) } ?? []))
            }
            return try kernel { () throws(TensorError) in try Tensor.concatenate(means).permuted([3, 0, 1, 2]) }
        }
    }
}
