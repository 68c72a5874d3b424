import Foundation
import ReelModel
import ReelPlan
import ReelTensor
import ReelWorker
import Testing

/// A later-form source encoding (``SourceForm/later``) against the VAE run on the
/// lead-in spelled out here: the source's first frame 1 + 4 times, then its other
/// frames, encoded with `WanVAE.encode`, normalized, latent frame 0 dropped. The
/// encoder itself is checked against diffusers by `SourceEncodingWorkerTests`.
@Suite struct LaterFormEncodingTests {
    /// The tiny transformer beside the VAE fixture's weights (diffusers' layout), and
    /// that fixture's 9 frames of 16×24 as `(3, 9, 16, 24)`.
    static func tinyModel(_ models: URL) throws -> Tensor {
        let folder = models.appendingPathComponent("tiny")
        try ModelFolder.create(
            at: folder.path, transformer: ModelPreset.tiny.transformer, scheduler: ModelPreset.tiny.scheduler, seed: 0)
        try FileManager.default.copyItem(
            at: SourceEncodingWorkerTests.fixture.appendingPathComponent("model/vae"), to: folder.appendingPathComponent("vae"))
        let sample = try SafeTensorsFile(path: SourceEncodingWorkerTests.fixture.appendingPathComponent("encode_inputs.safetensors").path)
            .tensor("sample")
        return try sample.reshaped(Array(sample.shape.dropFirst()))
    }

    /// Pixel frames `order` of `(3, n, H, W)` frames, in that order.
    static func gather(_ x: Tensor, _ order: [Int]) throws -> Tensor {
        let (n, plane) = (x.shape[1], x.shape[2] * x.shape[3])
        var storage: [Float] = []
        for c in 0 ..< 3 {
            for t in order {
                let start: Int = (c * n + t) * plane
                storage += x.storage[start ..< start + plane]
            }
        }
        return try Tensor(shape: [3, order.count, x.shape[2], x.shape[3]], storage: storage)
    }

    /// Latent frames from 1 on of `(C, t, h, w)` latents.
    static func droppingFirst(_ latents: Tensor) throws -> Tensor {
        try latents.permuted([1, 0, 2, 3]).frames(1 ..< latents.shape[1]).permuted([1, 0, 2, 3])
    }

    @Test func aLaterFormEncodingIsTheLeadInsEncodingWithoutItsFirstLatentFrame() throws {
        let models = FileManager.default.temporaryDirectory.appendingPathComponent("reel-later-form-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: models) }
        let frames = try Self.tinyModel(models)
        #expect(frames.shape == [3, 9, 16, 24])
        // s0 five times (1 + stride), then s1 … s8: 13 frames, 4·3 + 1.
        let leadIn = try Self.gather(frames, [0, 0, 0, 0, 0] + Array(1 ..< 9))
        let vae = try WanVAE(folder: models.appendingPathComponent("tiny"))
        let encoded = try LatentNormalization(config: vae.config).normalize(try vae.encode(try leadIn.reshaped([1] + leadIn.shape)))
        let expected = try Self.droppingFirst(try encoded.reshaped(Array(encoded.shape.dropFirst())))
        // The fixture VAE has 4 latent channels.
        #expect(expected.shape == [4, 3, 2, 3])

        let executor = try ModelExecutor(directory: models.path)
        let single = try (0 ..< 9).map { try Self.gather(frames, [$0]) }
        let streamed = try executor.encodeSource(model: "tiny", form: .later) { feed throws(WorkerError) in for f in single { try feed(f) } }
        let whole = try executor.encodeSource(model: "tiny", form: .later) { feed throws(WorkerError) in try feed(frames) }
        print("later-form encoding against WanVAE.encode of the lead-in, latent frame 0 dropped: "
            + "maxdiff \(streamed.maxAbsDifference(expected)) (a frame at a time), \(whole.maxAbsDifference(expected)) (whole)")
        #expect(streamed.shape == expected.shape && whole.shape == expected.shape)
        #expect(streamed.maxAbsDifference(expected) <= 1e-6 && whole.maxAbsDifference(expected) <= 1e-6)

        // First form is the encoding as it was: the source's own frames.
        let first = try executor.encodeSource(model: "tiny", form: .first) { feed throws(WorkerError) in for f in single { try feed(f) } }
        let plain = try executor.encodeSource(frames, model: "tiny")
        print("first-form encoding against encodeSource of the frames: maxdiff \(first.maxAbsDifference(plain))")
        #expect(first == plain)
        // The forms differ where the decoder reads them differently: latent frame 0.
        let frame0 = { (x: Tensor) throws -> Tensor in try x.permuted([1, 0, 2, 3]).frames(0 ..< 1) }
        print("latent frame 0, later against first form: maxdiff \(try frame0(whole).maxAbsDifference(try frame0(plain)))")
        #expect(try frame0(whole).maxAbsDifference(try frame0(plain)) > 1e-3)
        // An image (one frame) is one latent frame in either form.
        let image = try executor.encodeSource(model: "tiny", form: .later) { feed throws(WorkerError) in try feed(single[0]) }
        let imageLeadIn = try Self.gather(frames, [0, 0, 0, 0, 0])
        let imageEncoded = try executor.encodeSource(imageLeadIn, model: "tiny")
        #expect(image.shape == [4, 1, 2, 3])
        #expect(image.maxAbsDifference(try Self.droppingFirst(imageEncoded)) <= 1e-6)
    }

    /// The stand-in keeps the patch means of the frame that starts each latent frame:
    /// of the lead-in (s0 ×5, s1 …) frames 0, 4, 8, … are s0, s0, s4, …, so with latent
    /// frame 0 dropped it keeps s0, s4, …, its first-form encoding.
    @Test func theStandInMirrorsTheLeadIn() throws {
        let executor = SimulatedExecutor(stepTime: .milliseconds(1))
        let (n, height, width) = (9, 16, 24)
        let storage: [Float] = (0 ..< 3 * n * height * width).map { (i: Int) -> Float in Float((i * 7919) % 1000) / 500 - 1 }
        let frames = try Tensor(shape: [3, n, height, width], storage: storage)
        let later = try executor.encodeSource(model: SimulatedExecutor.modelName, form: .later) { feed throws(WorkerError) in try feed(frames) }
        let leadIn = try executor.encodeSource(try Self.gather(frames, [0, 0, 0, 0, 0] + Array(1 ..< 9)), model: SimulatedExecutor.modelName)
        #expect(later == (try Self.droppingFirst(leadIn)))
        #expect(later == (try executor.encodeSource(frames, model: SimulatedExecutor.modelName)))
    }
}
