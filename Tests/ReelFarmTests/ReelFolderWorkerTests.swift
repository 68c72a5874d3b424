import Foundation
import ReelPlan
import ReelTensor
import ReelWorker
import Testing

/// What a worker makes of a model folder's `reel.json`: the model's geometry says how
/// its transformer draws latent frame 0 (so the coordinator encodes its sources in
/// later form), the file is part of the model's digest (two workers that would
/// read its latents differently never share a clip), and a later-form clip start
/// decoded in chunks on the worker joins exactly.
@Suite struct ReelFolderWorkerTests {
    /// A models folder holding a copy of the shipped demo model.
    static func models() throws -> String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let models = FileManager.default.temporaryDirectory.appendingPathComponent("reel-folder-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: models, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: root.appendingPathComponent("Models/demo").path, toPath: models + "/demo")
        return models
    }

    @Test func reelJSONReachesTheGeometryAndTheDigest() throws {
        let models = try Self.models()
        defer { try? FileManager.default.removeItem(atPath: models) }
        let later = ModelExecutor(directory: models)
        #expect(try later.models().first { $0.name == "demo" }?.firstLatentForm == .later)
        let digest = later.digest(model: "demo")
        try FileManager.default.removeItem(atPath: models + "/demo/reel.json")
        let plain = ModelExecutor(directory: models)
        #expect(try plain.models().first { $0.name == "demo" }?.firstLatentForm == nil)
        #expect(!digest.isEmpty && plain.digest(model: "demo") != digest)
    }

    @Test func laterStartChunksDecodedApartJoinTheWholeDecode() throws {
        let models = try Self.models()
        defer { try? FileManager.default.removeItem(atPath: models) }
        let executor = ModelExecutor(directory: models)
        var rng = SeededRandom(seed: 5)
        let latents = rng.normalTensor([8, 12, 8, 8])
        /// Each latent frame's batch of pixels, decoding `frames` of the clip as the worker gets them.
        func decode(_ frames: Range<Int>, warmup: Int, laterStart: Bool) throws -> [[Float]] {
            let input = try latents.permuted([1, 0, 2, 3]).frames((frames.lowerBound - warmup) ..< frames.upperBound).permuted([1, 0, 2, 3])
            var batches = [[Float]]()
            try executor.decode(DecodeTask(model: "demo", latents: input, warmup: warmup, normalize: true, laterStart: laterStart)) {
                batches.append($0.storage)
            }
            return batches
        }
        let whole = try decode(0 ..< 12, warmup: 0, laterStart: true)
        #expect(whole.count == 12 && whole[0].count == 3 * 64 * 64, "latent frame 0 still gives one pixel frame")
        // Chunks of 5 with the VAE's warm-up: every run reaches back to frame 0, as the coordinator says.
        let warmup = executor.decodeWarmup(model: "demo")
        var pieces = [[Float]]()
        for chunk in DecodeChunk.layout(latentFrames: 12, size: 5, warmup: warmup, temporalStride: 4) {
            #expect(chunk.startsClip)
            pieces += try decode(chunk.frames, warmup: chunk.warmup, laterStart: true)
        }
        #expect(pieces == whole, "chunks decoded apart on the worker equal the whole decode")
        #expect(try decode(0 ..< 12, warmup: 0, laterStart: false)[0] != whole[0], "the plain decode reads frame 0 otherwise")
    }
}
