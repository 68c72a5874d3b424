import Testing

@testable import ReelPlan

@Suite struct DecodeChunkTests {
    /// The chunks tile the latent frames, and their pixel frames tile the clip's
    /// `1 + s·(F − 1)` frames without gaps or overlaps.
    @Test(arguments: [(1, 4), (2, 4), (13, 4), (41, 8), (41, 5), (9, 100)])
    func chunksTileTheClip(latentFrames: Int, size: Int) {
        let stride = 4
        let chunks = DecodeChunk.layout(latentFrames: latentFrames, size: size, warmup: 3, temporalStride: stride)
        #expect(chunks.first?.frames.lowerBound == 0 && chunks.last?.frames.upperBound == latentFrames)
        #expect(chunks.first?.pixelFrames.lowerBound == 0)
        #expect(chunks.last?.pixelFrames.upperBound == 1 + stride * (latentFrames - 1))
        for (a, b) in zip(chunks, chunks.dropFirst()) {
            #expect(a.frames.upperBound == b.frames.lowerBound)
            #expect(a.pixelFrames.upperBound == b.pixelFrames.lowerBound)
        }
        for chunk in chunks {
            #expect(chunk.warmup == (chunk.frames.lowerBound == 0 ? 0 : min(3, chunk.frames.lowerBound)))
            #expect(chunk.inputFrames.lowerBound >= 0)
        }
    }

    /// Latent frame 0 is one pixel frame, every later one `temporalStride`; warm-up
    /// is capped by the frames before a chunk and is at least one after the first.
    @Test func pixelFramesAndWarmupOfASmallLayout() {
        let chunks = DecodeChunk.layout(latentFrames: 21, size: 5, warmup: 2, temporalStride: 4)
        #expect(chunks.map(\.frames) == [0 ..< 5, 5 ..< 10, 10 ..< 15, 15 ..< 20, 20 ..< 21])
        #expect(chunks.map(\.warmup) == [0, 2, 2, 2, 2])
        #expect(chunks.map(\.pixelFrames.count) == [17, 20, 20, 20, 4])
        #expect(chunks.last?.pixelFrames.upperBound == 81)
        #expect(DecodeChunk.layout(latentFrames: 3, size: 1, warmup: 5, temporalStride: 2).map(\.warmup) == [0, 1, 2])
        #expect(DecodeChunk.layout(latentFrames: 3, size: 1, warmup: 0, temporalStride: 2).map(\.warmup) == [0, 1, 1])
    }

    @Test func jobRequestChecksGuidanceShiftAndLength() throws {
        let model = ModelGeometry.wan21_1_3B
        var request = JobRequest(model: "tiny", seconds: 10, width: 832, height: 480)
        #expect(try request.makePlan(model: model).geometry.job.frames == 161)
        request.guidance = -1
        #expect(throws: PlanError.self) { try request.makePlan(model: model) }
        request.guidance = 5
        request.shift = 0
        #expect(throws: PlanError.self) { try request.makePlan(model: model) }
        request.shift = nil
        request.frames = 81
        #expect(throws: PlanError.self) { try request.makePlan(model: model) }
    }

    /// Chunks grow until warm-up adds at most 30 %: for Wan 2.1's VAE (38 warm-up
    /// frames) a minute at 16 fps (241 latent frames) is two chunks of 127 and 114,
    /// the second warmed by 38, so 279 latent frames are decoded for 241.
    @Test func chunksKeepDecodeWorkWithinThirtyPercent() {
        #expect(DecodeChunk.size(warmup: 38, minimum: 8, maxOverhead: 0.3) == 127)
        #expect(DecodeChunk.size(warmup: 1, minimum: 8, maxOverhead: 0.3) == 8)
        let chunks = DecodeChunk.layout(latentFrames: 241, size: 127, warmup: 38, temporalStride: 4)
        #expect(chunks.map(\.frames) == [0 ..< 127, 127 ..< 241])
        #expect(chunks.map(\.warmup) == [0, 38])
        #expect(abs(DecodeChunk.workRatio(chunks) - 279.0 / 241.0) < 1e-12)
        for frames in [39, 100, 241, 2401] {
            let size = DecodeChunk.size(warmup: 38, minimum: 8, maxOverhead: 0.3)
            let layout = DecodeChunk.layout(latentFrames: frames, size: size, warmup: 38, temporalStride: 4)
            #expect(DecodeChunk.workRatio(layout) <= 1.3, "\(frames) latent frames")
        }
    }
}
