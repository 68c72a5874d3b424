import Foundation
import ReelMedia
import ReelModel
import ReelTensor

/// `reel bench decode`: the VAE decoder's pixel frames per second on a preset's VAE
/// with random weights, and frames per second with H.264 encoding in the same
/// streaming pass (what `reel model render` does).
public struct DecodeBenchmark: Sendable {
    public var preset: ModelPreset
    public var width: Int
    public var height: Int
    public var latentFrames: Int
    public var threads: Int
    public var repeats: Int

    public init(preset: ModelPreset, width: Int, height: Int, latentFrames: Int, threads: Int, repeats: Int) {
        (self.preset, self.width, self.height, self.latentFrames) = (preset, width, height, latentFrames)
        (self.threads, self.repeats) = (threads, repeats)
    }

    /// Latent frames decoded by default: enough for the temporal upsampling path, few
    /// enough that Wan's real VAE at 480p stays within minutes on two cores.
    public static func defaultLatentFrames(_ preset: ModelPreset) -> Int { preset == .tiny ? 3 : 2 }

    /// What one run measured.
    public struct Result: Codable, Sendable {
        public var preset: String
        public var width: Int
        public var height: Int
        public var latent_frames: Int
        public var pixel_frames: Int
        public var threads: Int
        public var vae_parameters: Int
        /// Decoder FLOPs (see ``DecodeBenchmark/flops(_:latentFrames:height:width:)``).
        public var flops: Double
        public var gflops: Double
        /// OpenBLAS's sgemm on the same threads, measured in the same run.
        public var sgemm_gflops: Double
        /// Decoder GFLOP/s over the sgemm peak.
        public var ratio: Double
        /// Seconds in the decoder alone (median over repeats).
        public var decode_seconds: Double
        public var decode_fps: Double
        /// Seconds for decoding plus RGB conversion and H.264 encoding, in one pass.
        public var render_seconds: Double
        public var render_fps: Double
        public var peak_rss_bytes: Int
        public var openblas_core: String
        public var torch_seconds: Double?
        public var torch_fps: Double?
        /// PyTorch's decode seconds over ours: above 1 means Reel is faster.
        public var speedup_vs_torch: Double?
    }

    public func run(progress: (String) -> Void = { _ in }) throws -> Result {
        progress("measuring sgemm peak on \(threads) thread(s)")
        let peak = SGEMMPeak.measure(threads: threads)
        Parallel.threads = threads
        progress("building the \(preset.rawValue) VAE with random weights")
        var weights = RandomWeights(seed: 1, recording: false)
        let vae = try WanVAE(config: preset.vae, from: &weights)
        var rng = SeededRandom(seed: 2)
        let latents = rng.normalTensor([16, latentFrames, height / 8, width / 8])
        let output = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("reel-bench-\(UUID().uuidString).mp4")
        defer { try? FileManager.default.removeItem(at: output) }
        var decodeTimes = [Double](), renderTimes = [Double]()
        var frames = 0
        for i in 0 ..< repeats {
            // One pass, timed in two parts: inside the decoder, and inside the writer.
            let writer = try VideoWriter(url: output, width: width, height: height, fps: 16)
            var encoding = 0.0
            let start = Self.now()
            var mark = start
            var decoding = 0.0
            try vae.decodeStream(latents, frames: 0 ..< latentFrames) { batch in
                let decoded = Self.now()
                decoding += decoded - mark
                try writer.append(planarClip: batch.storage, frames: batch.shape[1])
                mark = Self.now()
                encoding += mark - decoded
            }
            try writer.finish()
            let total = Self.now() - start
            frames = writer.frameCount
            decodeTimes.append(decoding)
            renderTimes.append(total)
            progress(String(format: "run %d/%d: %d frames, decode %.3f s, H.264 %.3f s, total %.3f s", i + 1, repeats, frames, decoding, encoding, total))
        }
        let decode = Self.median(decodeTimes), render = Self.median(renderTimes)
        let flops = Self.flops(vae.config, latentFrames: latentFrames, height: height / 8, width: width / 8)
        return Result(
            preset: preset.rawValue, width: width, height: height, latent_frames: latentFrames, pixel_frames: frames,
            threads: threads, vae_parameters: vae.parameterCount, flops: flops, gflops: flops / decode / 1e9,
            sgemm_gflops: peak, ratio: flops / decode / 1e9 / peak, decode_seconds: decode, decode_fps: Double(frames) / decode,
            render_seconds: render, render_fps: Double(frames) / render, peak_rss_bytes: DiTBenchmark.peakRSS(),
            openblas_core: BLAS.coreName)
    }

    static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
    static func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
}
