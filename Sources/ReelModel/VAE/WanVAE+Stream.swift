import ReelTensor

/// Streaming, bounded-memory and chunked decoding.
extension WanVAE {
    /// Warm-up latent frames a chunk decodes and discards before its first frame: the
    /// decoder's receptive field, so chunks decoded apart and concatenated equal the
    /// uninterrupted decode bit for bit. A warm-up frame runs only the decoder stages the
    /// chunk's first frame still depends on, so the frames far back cost only the cheap
    /// latent-resolution stages. Fewer warm-up frames are cheaper still but approximate:
    /// on the tiny preset's random weights the first pixels of a chunk stay far off
    /// (≈ 1.5 of the range 2) with 3 warm-up frames and fall under 2/255 only from about
    /// 20 (`VAEStreamingTests` prints the curve).
    public var defaultWarmup: Int { config.decoderReceptiveField }

    /// Decodes latent frames `frames` of `latents` `(z, F, h, w)` one at a time, handing
    /// each batch of pixel frames `(out_channels, n, H, W)` in [−1, 1] to `emit` as soon
    /// as it exists: latent frame 0 gives one pixel frame, every later one
    /// `temporalStride`. Memory holds one latent frame's activations and the frame
    /// caches, whatever the clip length.
    ///
    /// - Parameters:
    ///   - frames: the latent frames whose pixels to emit; the whole clip for an
    ///     uninterrupted decode, or a chunk `[a, b)` for distributed decoding
    ///   - warmup: latent frames before `a` decoded only to fill the caches (clamped to
    ///     `a`); a chunk that starts mid-clip without reaching frame 0 starts its caches
    ///     empty, so its first pixels approximate the uninterrupted decode
    ///     (see ``defaultWarmup``)
    ///   - tiling: decode in overlapping spatial tiles when the frame exceeds the tile size
    ///   - laterStart: `latents`' frame 0 is a clip's latent frame 0 in later form, as a
    ///     transformer that never trained on a clip's first latent frame draws it
    ///     (``ReelFolderConfig``). A run that starts there is preceded by one more
    ///     warm-up frame, `latents`' frame 1 (frame 0 itself when there is only one), so
    ///     frame 0 decodes as `stride` pixel frames, of which only the last is emitted:
    ///     the frame count is the same as without. Chunks join exactly when every run
    ///     that starts the clip holds its latent frame 1 (a plan's chunks are at least
    ///     2 frames long for such a model, `Plan.decodeChunks`; a still has only frame 0).
    public func decodeStream(
        _ latents: Tensor, frames: Range<Int>, warmup: Int = 0, tiling: VAETiling? = nil, laterStart: Bool = false,
        emit: (Tensor) throws -> Void
    ) throws {
        var decoder = try FrameDecoder(vae: self, latents: latents, frames: frames, warmup: warmup, tiling: tiling, laterStart: laterStart)
        while let batch = try decoder.next() {
            try emit(try kernel { () throws(TensorError) in try batch.permuted([3, 0, 1, 2]) })
        }
    }
}

/// One decode in progress: the latents in channels-last order, one frame cache per
/// spatial tile, and the next latent frame.
struct FrameDecoder {
    let vae: WanVAE
    let latents: Tensor  // (F, h, w, z)
    let regions: [[(rows: Range<Int>, columns: Range<Int>)]]
    let tiling: VAETiling?
    let emitFrom: Int
    let end: Int
    var caches: [[WanFeatureCache]]
    var position: Int
    /// Pixel frames still to drop from the next emitted batch (a later-form frame 0's first `stride − 1`).
    var dropping = 0

    init(vae: WanVAE, latents: Tensor, frames: Range<Int>, warmup: Int, tiling: VAETiling?, laterStart: Bool = false) throws(ModelError) {
        try vae.config.checkLatents(latents, batched: false)
        let f = latents.shape[1]
        guard frames.lowerBound >= 0, frames.upperBound <= f, !frames.isEmpty, warmup >= 0 else {
            throw .inputShape(
                name: "latents", expected: "latent frames \(frames) with warm-up \(warmup) inside 0..<\(f)", actual: latents.shape)
        }
        let s = vae.config.spatialStride
        try tiling?.validate(spatialStride: s)
        self.vae = vae
        var ordered = try kernel { () throws(TensorError) in try latents.permuted([1, 2, 3, 0]) }
        var (emitFrom, end, position) = (frames.lowerBound, frames.upperBound, max(0, frames.lowerBound - warmup))
        if laterStart && position == 0 {
            // The run starts at the clip's latent frame 0: one frame more before it, so it is read as a later frame.
            let lead = f > 1 ? 1 : 0
            ordered = try kernel { () throws(TensorError) in try Tensor.concatenate([ordered.frames(lead ..< lead + 1), ordered]) }
            (emitFrom, end) = (emitFrom + 1, end + 1)
            if frames.lowerBound == 0 { dropping = vae.config.temporalStride - 1 }
        }
        self.latents = ordered
        regions = tiling?.regions(latentHeight: latents.shape[2], latentWidth: latents.shape[3], spatialStride: s)
            ?? [[(0 ..< latents.shape[2], 0 ..< latents.shape[3])]]
        self.tiling = tiling
        self.emitFrom = emitFrom
        self.end = end
        self.position = position
        caches = regions.map { row in row.map { _ in WanFeatureCache() } }
        stageReach = vae.config.decoderStageReach
    }

    /// See `WanVAEConfig.decoderStageReach`.
    let stageReach: [Int]

    /// The next batch of pixel frames `(n, H, W, C)`, clamped to [−1, 1]; nil at the end.
    mutating func next() throws(ModelError) -> Tensor? {
        while position < end {
            // A warm-up frame runs only the stages whose caches the first emitted frame still reads.
            let distance = emitFrom - position
            let stages = distance > 0 ? stageReach.prefix { $0 >= distance }.count : .max
            let frame = latents.frames(position ..< position + 1)
            var tiles = [[Tensor]]()
            for (i, row) in regions.enumerated() where stages > 0 {
                var decoded = [Tensor]()
                for (j, region) in row.enumerated() {
                    let crop = regions.count == 1 && row.count == 1 ? frame : try Self.crop(frame, region)
                    decoded.append(
                        try vae.decoder(try vae.post_quant_conv(crop), cache: &caches[i][j], latentFrame: position, stages: stages))
                }
                tiles.append(decoded)
            }
            position += 1
            guard position > emitFrom else { continue }
            let s = vae.config.spatialStride
            var pixels = tiling?.assemble(tiles, height: latents.shape[1] * s, width: latents.shape[2] * s) ?? tiles[0][0]
            for i in 0 ..< pixels.count { pixels.storage[i] = min(max(pixels.storage[i], -1), 1) }
            if dropping > 0 {
                pixels = pixels.frames(min(dropping, pixels.shape[0]) ..< pixels.shape[0])
                dropping = 0
            }
            return pixels
        }
        return nil
    }

    /// The latent rows and columns of one tile, `(1, th, tw, z)`.
    static func crop(_ frame: Tensor, _ region: (rows: Range<Int>, columns: Range<Int>)) throws(ModelError) -> Tensor {
        let (w, c) = (frame.shape[2], frame.shape[3])
        var storage = [Float]()
        storage.reserveCapacity(region.rows.count * region.columns.count * c)
        for y in region.rows {
            storage.append(contentsOf: frame.storage[(y * w + region.columns.lowerBound) * c ..< (y * w + region.columns.upperBound) * c])
        }
        return try kernel { () throws(TensorError) in try Tensor(shape: [1, region.rows.count, region.columns.count, c], storage: storage) }
    }
}
