import Foundation
import ReelModel
import ReelPlan
import ReelTensor
import ReelWorker
import Testing

/// A worker's source encoding against diffusers: the VAE fixture's encoder mean
/// (`AutoencoderKLWan.encode(x).latent_dist.mean`, 9 frames of 16×24), normalized as
/// the image-to-video pipelines do, `(mean − latents_mean) · (1 / latents_std)`, with
/// the statistics read from the fixture's `case.json` here, not from Reel's code.
@Suite struct SourceEncodingWorkerTests {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("ReelModelTests/Fixtures/vae/fp32_wan21_layout")

    struct Case: Decodable {
        struct Config: Decodable { let latents_mean: [Double], latents_std: [Double] }
        let config: Config
    }

    @Test func aSourceIsEncodedToTheNormalizedEncoderMeanDiffusersComputes() throws {
        let models = FileManager.default.temporaryDirectory.appendingPathComponent("reel-source-encode-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: models) }
        // The tiny transformer (a model folder needs one) beside the fixture's VAE.
        let folder = models.appendingPathComponent("tiny")
        try ModelFolder.create(
            at: folder.path, transformer: ModelPreset.tiny.transformer, scheduler: ModelPreset.tiny.scheduler, seed: 0)
        try FileManager.default.copyItem(at: Self.fixture.appendingPathComponent("model/vae"), to: folder.appendingPathComponent("vae"))

        let sample = try SafeTensorsFile(path: Self.fixture.appendingPathComponent("encode_inputs.safetensors").path).tensor("sample")
        let mean = try SafeTensorsFile(path: Self.fixture.appendingPathComponent("encode_outputs.safetensors").path).tensor("latents")
        let stats = try JSONDecoder().decode(Case.self, from: Data(contentsOf: Self.fixture.appendingPathComponent("case.json"))).config
        let (z, plane) = (mean.shape[1], mean.shape[2...].reduce(1, *))
        var expected = [Float](repeating: 0, count: mean.count)
        for c in 0..<z {
            let m = Float(stats.latents_mean[c]), inverse = 1 / Float(stats.latents_std[c])
            for i in 0..<plane { expected[c * plane + i] = (mean.storage[c * plane + i] - m) * inverse }
        }

        let frames = try sample.reshaped(Array(sample.shape.dropFirst()))
        let latents = try ModelExecutor(directory: models.path).encodeSource(frames, model: "tiny")
        #expect(latents.shape == Array(mean.shape.dropFirst()))
        let maxdiff = zip(latents.storage, expected).map { abs($0 - $1) }.max() ?? .infinity
        let scale = expected.map(abs).max() ?? 1
        print("source encoding vs diffusers (normalized encoder mean): maxdiff \(maxdiff), max |x| \(scale)")
        #expect(maxdiff <= 1e-4 * max(scale, 1))

        // The streaming pair the worker uses: frames fed one at a time (as MediaSourceReader
        // emits them) encode to exactly the whole-clip encoding.
        let executor = try ModelExecutor(directory: models.path)
        let single = (0..<frames.shape[1]).map { t in
            try! Tensor(shape: [3, 1, 16, 24], storage: (0..<3).flatMap { c in frames.storage[(c * frames.shape[1] + t) * 384 ..< (c * frames.shape[1] + t + 1) * 384] })
        }
        let streamed = try executor.encodeSource(model: "tiny") { feed throws(WorkerError) in for frame in single { try feed(frame) } }
        print("source encoding streamed a frame at a time vs encodeSource: maxdiff \(streamed.maxAbsDifference(latents))")
        #expect(streamed == latents)
        do {
            _ = try executor.encodeSource(model: "tiny") { feed throws(WorkerError) in for frame in single.prefix(8) { try feed(frame) } }
            Issue.record("8 streamed frames were encoded")
        } catch {
            #expect(error.kind == .invalidInput && error.message.contains("not 8 frames"), "\(error.message)")
        }

        // A frame count the causal VAE cannot encode names the shape it needs.
        let eight = try Tensor(shape: [3, 8, 16, 24], storage: Array(frames.storage[0..<(3 * 8 * 16 * 24)]))
        #expect(throws: WorkerError.self) { try ModelExecutor(directory: models.path).encodeSource(eight, model: "tiny") }
    }

    /// The stand-in's streaming encoding (what the 832×480 tries run) equals its
    /// whole-clip one, fed in uneven batches, and refuses a count that is not 4k + 1.
    @Test func theStandInStreamsTheSameEncoding() throws {
        let executor = SimulatedExecutor(stepTime: .milliseconds(1))
        let (n, height, width) = (17, 32, 48)
        let plane = height * width
        let storage: [Float] = (0 ..< 3 * n * plane).map { (i: Int) -> Float in Float((i * 7919) % 1000) / 500 - 1 }
        let frames = try Tensor(shape: [3, n, height, width], storage: storage)
        let whole = try executor.encodeSource(frames, model: SimulatedExecutor.modelName)
        func batch(_ range: Range<Int>) throws -> Tensor {
            var values: [Float] = []
            for c in 0 ..< 3 {
                let first = (c * n + range.lowerBound) * plane
                values += storage[first ..< first + range.count * plane]
            }
            return try Tensor(shape: [3, range.count, height, width], storage: values)
        }
        let cuts = [0, 1, 4, 5, 11, 17]
        let streamed = try executor.encodeSource(model: SimulatedExecutor.modelName) { feed throws(WorkerError) in
            for (a, b) in zip(cuts, cuts.dropFirst()) { try feed(try! batch(a ..< b)) }
        }
        #expect(streamed.shape == whole.shape && streamed.shape[1] == 5)
        #expect(streamed == whole, "maxdiff \(streamed.maxAbsDifference(whole))")
        #expect(throws: WorkerError.self) {
            try executor.encodeSource(model: SimulatedExecutor.modelName) { feed throws(WorkerError) in try feed(try! batch(0 ..< 7)) }
        }
    }
}
