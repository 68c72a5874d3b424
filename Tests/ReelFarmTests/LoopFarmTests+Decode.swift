import Foundation
import ReelCoordinator
import ReelMedia
import ReelPlan
import ReelStore
import ReelTensor
import ReelWorker
import Testing

/// A looped clip decoded as a circle: every latent frame, frame 0 included, is 4
/// pixel frames, because chunk 0 is warmed up by the frames before it on the circle.
extension LoopFarmTests {
    /// 33 frames (9 latent) looped, decoded in one chunk (the farm's default sizes) or
    /// in chunks of 4 latent frames. The reference is the worker's own VAE run here,
    /// start to end, over the circle's last `w` latent frames (frame −k is frame
    /// −k mod 9) followed by all 9, with the warm-up's pixel frames (1 + 4·(w − 1))
    /// dropped. Chunk 0's input is exactly that sequence's start, so its frames must
    /// match; the later chunks are warmed up by the farm's warm-up (the tiny VAE's
    /// reach, 30 frames) across the wrap, so theirs must too.
    @Test(arguments: [nil, 4] as [Int?])
    func aLoopedClipDecodesAsACircle(chunkFrames: Int?) async throws {
        let encoder = RecordingChunkEncoder()
        let farm = try TestFarm {
            $0.config.collectBlobs = false
            if let chunkFrames {
                $0.config.decodeChunkFrames = chunkFrames
                $0.config.maxDecodeOverhead = 1000
            }
        }
        defer { farm.stop() }
        try farm.addWorker(name: "w1", encoder: encoder)
        let request = JobRequest(
            name: "loop", model: "tiny", prompt: "a carousel", frames: 33, fps: 16, width: 64, height: 64, seed: 17, guidance: 1,
            plan: PlanConfig(window: 4, overlap: 1, loop: true, steps: 4, blendEvery: 2))
        let status = try await farm.run(request)
        #expect(status.state == "succeeded", "\(status.reason ?? "")")
        let latentFrames = 9, stride = 4
        #expect(status.frames == stride * latentFrames, "a loop of 9 latent frames is 36 pixel frames")
        let video = try VideoReader(url: URL(fileURLWithPath: try await farm.service.videoPath(status.id))).readAll()
        #expect(video.count == stride * latentFrames)

        let store = try FarmResilienceTests.store(farm.service)
        let rows = try store.decodeChunks(job: status.id)
        let expectedChunks = chunkFrames.map { (latentFrames + $0 - 1) / $0 } ?? 1
        #expect(rows.count == expectedChunks)
        let warmup = try #require(rows.first?.warmup)
        #expect(warmup >= 1 && rows.first?.frames.lowerBound == 0, "chunk 0 of a loop is warmed up")

        // Each chunk's frames as the worker handed them to its encoder, in chunk order.
        var chunks: [[[Float]]] = []
        for row in rows {
            let sha = try #require(row.status.outputSHA)
            chunks.append(try #require(encoder.frames(ofSegment: sha), "chunk \(row.chunk)'s frames"))
        }
        #expect(chunks.map(\.count) == rows.map { stride * $0.frames.count }, "every latent frame is 4 pixel frames")
        // The previews name each segment's frames on the circle: latent f is pixel frames 4f … 4f + 3.
        guard case .previews(let previews) = try await farm.service.mailbox.send(.previews(status.id)).get() else {
            Issue.record("no previews list")
            return
        }
        #expect(previews.map { $0.frameBegin ..< $0.frameEnd } == rows.map { stride * $0.frames.lowerBound ..< stride * $0.frames.upperBound })

        // The reference: the circle's last `warmup` frames, then all 9, decoded start to end here.
        let blobs = try BlobStore(directory: URL(fileURLWithPath: farm.service.options.dataDirectory).appendingPathComponent("blobs"))
        let clip = try blobs.getFloats(try #require(status.latentsSha256))
        let model = try #require(try ModelExecutor(directory: farm.models).models().first { $0.name == "tiny" })
        let latent = try request.makePlan(model: model).latent
        let plane = latent.height * latent.width
        let order = (-warmup ..< latentFrames).map { (($0 % latentFrames) + latentFrames) % latentFrames }
        var values: [Float] = []
        for c in 0 ..< latent.channels {
            for f in order { values += clip[(c * latentFrames + f) * plane ..< (c * latentFrames + f + 1) * plane] }
        }
        let sequence = try Tensor(shape: [latent.channels, order.count, latent.height, latent.width], storage: values)
        var decoded: [[Float]] = []
        try ModelExecutor(directory: farm.models).decode(DecodeTask(model: "tiny", latents: sequence, warmup: 0, normalize: true)) { batch in
            decoded += RecordingChunkEncoder.split(batch)
        }
        #expect(decoded.count == 1 + stride * (order.count - 1))
        let reference = Array(decoded.dropFirst(1 + stride * (warmup - 1)))
        #expect(reference.count == stride * latentFrames)

        func maxdiff(_ a: ArraySlice<[Float]>, _ b: ArraySlice<[Float]>) -> Float {
            zip(a, b).reduce(0) { worst, pair in zip(pair.0, pair.1).reduce(worst) { max($0, abs($1.0 - $1.1)) } }
        }
        let first = maxdiff(chunks[0][...], reference[0 ..< chunks[0].count])
        print("loop decode (\(rows.count) chunk(s), warm-up \(warmup)): chunk 0 against the circle decoded here, maxdiff \(first); \(video.count) frames in the MP4")
        #expect(first <= 1e-5)
        let farmFrames = Array(chunks.joined())
        #expect(farmFrames.count == reference.count)
        let whole = maxdiff(farmFrames[...], reference[...])
        print("loop decode (\(rows.count) chunk(s)): the whole clip against the circle decoded here, maxdiff \(whole)")
        #expect(whole <= 1e-5)
        #expect(rows.allSatisfy { $0.warmup == warmup }, "every chunk of a loop is warmed up alike, across the wrap if need be")
        // The circle's wrap pair differs from a start-to-end decode's frame 0, which has no context.
        var linear: [[Float]] = []
        try ModelExecutor(directory: farm.models).decode(
            DecodeTask(model: "tiny", latents: try Tensor(shape: [latent.channels, latentFrames, latent.height, latent.width], storage: clip), warmup: 0, normalize: true)
        ) { batch in linear += RecordingChunkEncoder.split(batch) }
        #expect(linear.count == 1 + stride * (latentFrames - 1))
        print("loop decode: frame 0 against a start-to-end decode's frame 0, maxdiff \(maxdiff(farmFrames[0 ..< 1], linear[0 ..< 1]))")
    }
}
