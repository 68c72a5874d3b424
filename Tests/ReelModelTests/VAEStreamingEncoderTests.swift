import Testing
import ReelModel
import ReelPlan
import ReelTensor

/// `WanVAE.StreamingEncoder` on the tiny preset's VAE (random weights): frames fed in
/// any chunk sizes encode to exactly what `encode` returns.
@Suite struct VAEStreamingEncoderTests {
    static let vae = VAEStreamingTests.vae

    /// `(3, n, H, W)` frames in [−1, 1].
    static func video(frames: Int, height: Int, width: Int, seed: UInt64) throws -> Tensor {
        var rng = SeededRandom(seed: seed)
        let x = rng.normalTensor([3, frames, height, width])
        return try Tensor(shape: x.shape, storage: x.storage.map { max(-1, min(1, $0 / 2)) })
    }

    /// Frames `range` of a `(C, n, H, W)` tensor.
    static func frames(_ x: Tensor, _ range: Range<Int>) throws -> Tensor {
        try x.permuted([1, 0, 2, 3]).frames(range).permuted([1, 0, 2, 3])
    }

    @Test(arguments: [[1, 3, 6, 2, 5], [17], [2, 2, 2, 2, 2, 2, 2, 2, 1], [0, 1, 0, 16], [5, 12]])
    func unevenChunksEqualEncode(chunks: [Int]) throws {
        let x = try Self.video(frames: 17, height: 16, width: 24, seed: 4)
        var encoder = try WanVAE.StreamingEncoder(vae: Self.vae)
        var at = 0
        for n in chunks {
            try encoder.append(try Self.frames(x, at ..< at + n))
            at += n
        }
        let streamed = try encoder.finish()
        let whole = try Self.vae.encode(try x.reshaped([1] + x.shape)).slice(0)
        let maxdiff = streamed.maxAbsDifference(whole)
        print("StreamingEncoder, chunks \(chunks) of 17 frames 16×24: shape \(streamed.shape), maxdiff to encode \(maxdiff)")
        #expect(streamed.shape == [16, 5, 2, 3])
        #expect(maxdiff == 0)
    }

    @Test func aFrameCountNotOnePlusFourKIsRefusedByCount() throws {
        let x = try Self.video(frames: 7, height: 8, width: 8, seed: 5)
        var encoder = try WanVAE.StreamingEncoder(vae: Self.vae)
        try encoder.append(try Self.frames(x, 0 ..< 3))
        try encoder.append(try Self.frames(x, 3 ..< 7))
        #expect(encoder.frameCount == 7)
        do {
            _ = try encoder.finish()
            Issue.record("7 frames encoded")
        } catch {
            print("StreamingEncoder, 7 frames: \(error)")
            #expect("\(error)".contains("not 7 frames"))
        }
        let empty = try WanVAE.StreamingEncoder(vae: Self.vae)
        #expect(throws: ModelError.self) { try empty.finish() }
    }

    @Test func chunksOfAnotherSizeOrChannelCountAreRefused() throws {
        var encoder = try WanVAE.StreamingEncoder(vae: Self.vae)
        try encoder.append(try Self.video(frames: 1, height: 8, width: 8, seed: 6))
        #expect(throws: ModelError.self) { try encoder.append(try Self.video(frames: 4, height: 16, width: 8, seed: 7)) }
        #expect(throws: ModelError.self) { try encoder.append(Tensor(zeros: [2, 4, 8, 8])) }
        var fresh = try WanVAE.StreamingEncoder(vae: Self.vae)
        #expect(throws: ModelError.self) { try fresh.append(Tensor(zeros: [3, 1, 12, 8])) }
    }
}
