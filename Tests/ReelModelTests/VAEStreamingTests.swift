import Foundation
import Testing
import ReelModel
import ReelPlan
import ReelTensor

/// Streaming, tiled and chunked decoding on the tiny preset's VAE (random weights).
@Suite struct VAEStreamingTests {
    static let vae: WanVAE = {
        var weights = RandomWeights(seed: 11)
        return try! WanVAE(config: ModelPreset.tiny.vae, from: &weights)
    }()

    /// Transformer-space noise mapped into the VAE's latent space, `(16, F, h, w)`.
    static func latents(frames: Int, height: Int, width: Int, seed: UInt64) throws -> Tensor {
        var rng = SeededRandom(seed: seed)
        return try LatentNormalization(config: vae.config).denormalize(rng.normalTensor([16, frames, height, width]))
    }

    /// Joins emitted `(C, n, H, W)` batches along frames.
    static func join(_ batches: [Tensor]) throws -> Tensor {
        try Tensor.concatenate(batches.map { try $0.permuted([1, 0, 2, 3]) }).permuted([1, 0, 2, 3])
    }

    @Test func streamEmitsOneFrameThenStrideFramesAndEqualsDecode() throws {
        let z = try Self.latents(frames: 4, height: 2, width: 3, seed: 1)
        var batches = [Tensor]()
        try Self.vae.decodeStream(z, frames: 0 ..< 4) { batches.append($0) }
        #expect(batches.map { $0.shape[1] } == [1, 4, 4, 4])
        #expect(batches.allSatisfy { $0.shape[0] == 3 && $0.shape[2] == 16 && $0.shape[3] == 24 })
        let whole = try Self.vae.decode(try z.reshaped([1] + z.shape))
        #expect(try Self.join(batches) == whole.slice(0))
    }

    @Test func tilingIsOffForFramesThatFitATile() throws {
        let z = try Self.latents(frames: 2, height: 4, width: 4, seed: 2)
        let plain = try Self.vae.decode(try z.reshaped([1] + z.shape))
        #expect(try Self.vae.decode(try z.reshaped([1] + z.shape), tiling: VAETiling()) == plain)
        // Tiles smaller than the frame change the result (the receptive field crosses tile
        // edges); diffusers' tiled_decode is matched by VAEParityTests.
        let tiled = try Self.vae.decode(try z.reshaped([1] + z.shape), tiling: VAETiling(tileHeight: 16, tileWidth: 16, strideHeight: 8, strideWidth: 8))
        print("tiny preset, 32×32 frame in 16-pixel tiles every 8: maxdiff to untiled \(tiled.maxAbsDifference(plain))")
        #expect(tiled.shape == plain.shape && tiled != plain)
    }

    @Test func badTilingAndFrameRangesAreRejected() throws {
        let z = try Self.latents(frames: 2, height: 2, width: 2, seed: 3)
        #expect(throws: ModelError.self) { try Self.vae.decodeStream(z, frames: 0 ..< 2, tiling: VAETiling(tileHeight: 12)) { _ in } }
        #expect(throws: ModelError.self) { try Self.vae.decodeStream(z, frames: 1 ..< 3) { _ in } }
        #expect(throws: ModelError.self) { try Self.vae.decodeStream(z, frames: 1 ..< 1) { _ in } }
        #expect(throws: ModelError.self) { try Self.vae.decodeStream(z.slice(0), frames: 0 ..< 1) { _ in } }
    }

    @Test func receptiveFieldFollowsTheLayout() {
        #expect(ModelPreset.tiny.vae.decoderReceptiveField == 30)
        #expect(ModelPreset.small.vae.decoderReceptiveField == 38)
        // conv_in, mid, then per level residual blocks and upsampler, head. By hand for the tiny
        // preset, walking back from pixel frame 4a − 3 (latent frame a's first): conv_out −2 at
        // rate 4 → latent a − 1; level 3's blocks −8 → a − 3; level 2's −8 → a − 5; level 1's
        // time_conv halves the rate and reaches 2 back → a − 6, its blocks −8 at rate 2 → a − 10;
        // level 0's time_conv → a − 12, its blocks → a − 20; mid −8 → a − 28; conv_in → a − 30.
        let reach = ModelPreset.tiny.vae.decoderStageReach
        print("tiny decoder stage reach: \(reach), small: \(ModelPreset.small.vae.decoderStageReach)")
        #expect(reach == [30, 28, 20, 12, 10, 6, 5, 3, 3, 1])
        // Time upsampled after the second and third levels instead of the first and second: level 1's
        // convolutions run at the latent rate instead of half (+4 latent frames), level 2's at half
        // instead of a quarter (+2) → 36.
        var late = ModelPreset.tiny.vae
        late.temperal_downsample = [true, true, false]
        #expect(late.decoderReceptiveField == 36)
    }

    /// Chunks decoded on their own, after w warm-up frames, against one sequential decode.
    /// The chunks are the farm's (`DecodeChunk.layout`, which gives every chunk but
    /// the first at least one warm-up frame), so this checks the layout the
    /// coordinator hands out. The last chunk starts past the receptive field, so its
    /// warm-up does not reach frame 0.
    @Test func warmupOverTheReceptiveFieldMakesChunkedDecodeExact() throws {
        let frames = 40
        let z = try Self.latents(frames: frames, height: 2, width: 2, seed: 4)
        var sequential = [Tensor]()
        try Self.vae.decodeStream(z, frames: 0 ..< frames) { sequential.append($0) }
        let reference = try Self.join(sequential)
        let exact = Self.vae.defaultWarmup
        var deviation = [Int: Float]()
        for w in [0, 1, 2, 3, 10, 20, exact, exact + 6] {
            var pieces = [Tensor]()
            for chunk in DecodeChunk.layout(latentFrames: frames, size: 16, warmup: w, temporalStride: Self.vae.config.temporalStride) {
                var batches = [Tensor]()
                try Self.vae.decodeStream(z, frames: chunk.frames, warmup: chunk.warmup) { batches.append($0) }
                let piece = try Self.join(batches)
                #expect(piece.shape[1] == chunk.pixelFrames.count)
                pieces.append(piece)
            }
            deviation[w] = try Self.join(pieces).maxAbsDifference(reference)
            print("chunked decode, 16 latent frames per chunk, warm-up \(w): max deviation \(deviation[w]!) (2/255 = \(2.0 / 255))")
        }
        #expect(deviation[0]! > deviation[20]!)
        #expect(deviation[exact]! <= 2 / 255)
        #expect(deviation[exact]! == 0 && deviation[exact + 6]! == 0)
    }

    /// `lead`'s frame put before `z`'s frames, `(16, 1 + F, h, w)`.
    static func led(_ z: Tensor, by lead: Int) throws -> Tensor {
        let framesFirst = try z.permuted([1, 0, 2, 3])
        return try Tensor.concatenate([framesFirst.frames(lead ..< lead + 1), framesFirst]).permuted([1, 0, 2, 3])
    }

    @Test func aLaterFormStartDecodesFrameZeroAsALaterFrame() throws {
        // Latent frame 0 drawn in later form (ReelFolderConfig): decoded after latent frame 1,
        // as the full decode of [z1, z0, z1, …] reads it, keeping frame 0's last pixel frame.
        let z = try Self.latents(frames: 5, height: 2, width: 2, seed: 7)
        var batches = [Tensor]()
        try Self.vae.decodeStream(z, frames: 0 ..< 5, laterStart: true) { batches.append($0) }
        #expect(batches.map { $0.shape[1] } == [1, 4, 4, 4, 4], "the frame count of a plain decode")
        let reference = try Self.vae.decode(try Self.led(z, by: 1).reshaped([1, 16, 6, 2, 2])).slice(0)
        let kept = try reference.permuted([1, 0, 2, 3]).frames(4 ..< 21).permuted([1, 0, 2, 3])
        let maxdiff = try Self.join(batches).maxAbsDifference(kept)
        print("later-form start against the full decode of [z1, z0, z1, …]: maxdiff \(maxdiff)")
        #expect(maxdiff == 0)
        // It differs from the plain decode where frame 0 reaches, not after the receptive field.
        var plain = [Tensor]()
        try Self.vae.decodeStream(z, frames: 0 ..< 5) { plain.append($0) }
        #expect(try Self.join(plain).maxAbsDifference(Self.join(batches)) > 0.01)
        // A one-frame clip (a still) is led by its own frame.
        var still = [Tensor]()
        try Self.vae.decodeStream(z.permuted([1, 0, 2, 3]).frames(0 ..< 1).permuted([1, 0, 2, 3]), frames: 0 ..< 1, laterStart: true) { still.append($0) }
        let twice = try Self.vae.decode(try Self.led(z.permuted([1, 0, 2, 3]).frames(0 ..< 1).permuted([1, 0, 2, 3]), by: 0).reshaped([1, 16, 2, 2, 2])).slice(0)
        #expect(still.map { $0.shape[1] } == [1])
        #expect(try Self.join(still).maxAbsDifference(twice.permuted([1, 0, 2, 3]).frames(4 ..< 5).permuted([1, 0, 2, 3])) == 0)
    }

    @Test func laterFormStartsChunkExactlyToo() throws {
        let frames = 40
        let z = try Self.latents(frames: frames, height: 2, width: 2, seed: 8)
        var whole = [Tensor]()
        try Self.vae.decodeStream(z, frames: 0 ..< frames, laterStart: true) { whole.append($0) }
        // Chunks past the first whose warm-up reaches back to frame 0 are led the same way.
        var pieces = [Tensor]()
        for chunk in DecodeChunk.layout(latentFrames: frames, size: 16, warmup: Self.vae.defaultWarmup, temporalStride: 4) {
            var batches = [Tensor]()
            try Self.vae.decodeStream(z, frames: chunk.frames, warmup: chunk.warmup, laterStart: true) { batches.append($0) }
            pieces.append(try Self.join(batches))
        }
        #expect(try Self.join(pieces).maxAbsDifference(Self.join(whole)) == 0)
    }
}
