import Foundation
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

    /// A loop is decoded as a circle: every latent frame is `s` pixel frames, so
    /// the chunks' pixel frames tile `0 ..< s·F`; every chunk is warmed up by the
    /// frames before it on the circle, which for one at least `warmup` frames in is
    /// as in a clip decoded start to end.
    @Test(arguments: [(1, 4), (2, 4), (9, 4), (13, 4), (41, 8), (41, 5), (9, 100)])
    func loopChunksTileTheCircle(latentFrames: Int, size: Int) {
        let stride = 4
        let chunks = DecodeChunk.layout(latentFrames: latentFrames, size: size, warmup: 3, temporalStride: stride, loop: true)
        let linear = DecodeChunk.layout(latentFrames: latentFrames, size: size, warmup: 3, temporalStride: stride)
        #expect(chunks.map(\.frames) == linear.map(\.frames))
        #expect(chunks.first?.pixelFrames.lowerBound == 0)
        #expect(chunks.last?.pixelFrames.upperBound == stride * latentFrames)
        for (a, b) in zip(chunks, chunks.dropFirst()) { #expect(a.pixelFrames.upperBound == b.pixelFrames.lowerBound) }
        for chunk in chunks {
            #expect(chunk.pixelFrames.count == stride * chunk.frames.count)
            #expect(chunk.cycle == latentFrames)
        }
        #expect(chunks.allSatisfy { $0.warmup == 3 })
        for (chunk, plain) in zip(chunks, linear) where chunk.frames.lowerBound >= 3 {
            #expect(chunk.warmup == plain.warmup && chunk.inputRanges == [plain.inputFrames])
        }
    }

    /// Chunk 0 of a loop reads the clip's tail, then its own frames; a warm-up
    /// longer than the clip goes round the circle again, and a chunk nearer the
    /// start than its warm-up is warmed across the wrap too.
    @Test func loopChunkZeroReadsTheTailFirst() {
        func indices(_ chunk: DecodeChunk) -> [Int] { chunk.inputRanges.flatMap { Array($0) } }
        let chunks = DecodeChunk.layout(latentFrames: 9, size: 4, warmup: 3, temporalStride: 4, loop: true)
        #expect(chunks.map(\.frames) == [0 ..< 4, 4 ..< 8, 8 ..< 9])
        #expect(chunks.map(\.warmup) == [3, 3, 3])
        #expect(chunks.map(\.pixelFrames) == [0 ..< 16, 16 ..< 32, 32 ..< 36])
        #expect(indices(chunks[0]) == [6, 7, 8, 0, 1, 2, 3])
        #expect(chunks[0].inputRanges == [6 ..< 9, 0 ..< 4])
        #expect(indices(chunks[1]) == [1, 2, 3, 4, 5, 6, 7])
        #expect(indices(chunks[2]) == [5, 6, 7, 8])
        #expect(chunks[0].inputFrames.count == 7)
        // Warm-up 0 is still at least one frame: the first frame must not decode alone.
        let least = DecodeChunk.layout(latentFrames: 5, size: 5, warmup: 0, temporalStride: 4, loop: true)
        #expect(least.map(\.warmup) == [1] && indices(least[0]) == [4, 0, 1, 2, 3, 4] && least[0].pixelFrames == 0 ..< 20)
        // Seven warm-up frames before a clip of three: 2, 0, 1, 2, 0, 1, 2, then 0, 1.
        let round = DecodeChunk.layout(latentFrames: 3, size: 2, warmup: 7, temporalStride: 2, loop: true)
        #expect(round[0].inputRanges == [2 ..< 3, 0 ..< 3, 0 ..< 3, 0 ..< 2])
        #expect(indices(round[0]) == [2, 0, 1, 2, 0, 1, 2, 0, 1])
        #expect(round.map(\.warmup) == [7, 7] && round.map(\.pixelFrames) == [0 ..< 4, 4 ..< 6])
        // Chunk 1 (frame 2) after frames −5 … 1: 1, 2, 0, 1, 2, 0, 1, then 2.
        #expect(round[1].inputRanges == [1 ..< 3, 0 ..< 3, 0 ..< 3])
        #expect(indices(round[1]) == [1, 2, 0, 1, 2, 0, 1, 2])
    }

    /// A chunk encoded before loops were decoded as circles has no `cycle`, and
    /// decodes as one start to end.
    @Test func aChunkWithoutACycleDecodesStartToEnd() throws {
        let old = #"{"index":1,"frames":[5,10],"warmup":2,"pixelFrames":[17,37]}"#
        let chunk = try JSONDecoder().decode(DecodeChunk.self, from: Data(old.utf8))
        #expect(chunk.cycle == nil && chunk.inputRanges == [3 ..< 10])
        #expect(chunk == DecodeChunk(index: 1, frames: 5 ..< 10, warmup: 2, temporalStride: 4))
        let looped = DecodeChunk(index: 0, frames: 0 ..< 5, warmup: 2, temporalStride: 4, cycle: 9)
        #expect(try JSONDecoder().decode(DecodeChunk.self, from: JSONEncoder().encode(looped)) == looped)
    }

    /// Recorded chunks mean what they meant when laid out: a loop's on its circle,
    /// but a loop whose chunk 0 was recorded without warm-up began decoding before
    /// loops were circles and stays start to end (its segments must still join).
    @Test func recordedChunksKeepTheLayoutTheyWereMadeWith() throws {
        func plan(loop: Bool) throws -> Plan {
            try JobRequest(
                name: "loop", model: "tiny", prompt: "a carousel", frames: 33, fps: 16, width: 64, height: 64, seed: 17, guidance: 1,
                plan: PlanConfig(window: 4, overlap: 1, loop: loop, steps: 4, blendEvery: 2)
            ).makePlan(model: .wan21_1_3B)
        }
        let loop = try plan(loop: true), plain = try plan(loop: false)
        #expect(loop.decodedFrames == 36 && plain.decodedFrames == 33)
        func recorded(_ chunks: [DecodeChunk]) -> [(index: Int, frames: Range<Int>, warmup: Int)] {
            chunks.map { ($0.index, $0.frames, $0.warmup) }
        }
        let circle = loop.decodeChunks(size: 4, warmup: 2)
        #expect(circle.map(\.warmup) == [2, 2, 2] && circle.last?.pixelFrames.upperBound == 36)
        #expect(loop.decodeChunks(recorded: recorded(circle)) == circle)
        // Some of them (a previews list) too, and the later ones alone.
        #expect(loop.decodeChunks(recorded: recorded(Array(circle.suffix(2)))) == Array(circle.suffix(2)))
        let old = DecodeChunk.layout(latentFrames: 9, size: 4, warmup: 2, temporalStride: 4)
        #expect(old.map(\.warmup) == [0, 2, 2])
        #expect(loop.decodeChunks(recorded: recorded(old)) == old)
        #expect(loop.decodeChunks(recorded: recorded(old)).last?.pixelFrames.upperBound == 33)
        #expect(plain.decodeChunks(size: 4, warmup: 2) == old && plain.decodeChunks(recorded: recorded(old)) == old)
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

    @Test func aChunkStartsTheClipWhenItsInputBeginsAtFrameZeroOffTheCircle() {
        // 13 latent frames in chunks of 4: with 8 frames of warm-up chunks 1 and 2 reach back to 0.
        let chunks = DecodeChunk.layout(latentFrames: 13, size: 4, warmup: 8, temporalStride: 4)
        #expect(chunks.map(\.startsClip) == [true, true, true, false])
        #expect(DecodeChunk.layout(latentFrames: 13, size: 4, warmup: 2, temporalStride: 4).map(\.startsClip) == [true, false, false, false])
        // A loop's chunks are warmed up round the circle: none starts the clip.
        #expect(DecodeChunk.layout(latentFrames: 13, size: 4, warmup: 2, temporalStride: 4, loop: true).allSatisfy { !$0.startsClip })
    }

    @Test func aLaterFormModelsPlanLaysChunksOfAtLeastTwoFramesAndSaysWhichRunsReadItsStart() throws {
        var model = ModelGeometry.wan21_1_3B
        let job = JobSpec(frames: 49, fps: 16, width: 64, height: 64)
        let wan = try Plan(geometry: ClipGeometry(job: job, model: model), config: PlanConfig(window: 6, overlap: 2, steps: 4, blendEvery: 2))
        model.firstLatentForm = .later
        let later = try Plan(geometry: ClipGeometry(job: job, model: model), config: PlanConfig(window: 6, overlap: 2, steps: 4, blendEvery: 2))
        // Chunk 0 must hold latent frame 1, which leads a later-form start.
        #expect(wan.decodeChunks(size: 1, warmup: 0).map(\.frames.count).allSatisfy { $0 == 1 })
        #expect(later.decodeChunks(size: 1, warmup: 0).first?.frames == 0 ..< 2)
        let chunks = later.decodeChunks(size: 4, warmup: 5)
        #expect(chunks.map(later.readsLaterStart) == chunks.map { $0.inputFrames.lowerBound == 0 })
        #expect(chunks.map(later.readsLaterStart).prefix(2) == [true, true] && !chunks.contains(where: wan.readsLaterStart))
    }
}
