import Foundation
import ReelModel
import ReelTensor

/// `reel bench dit`: the transformer forward's achieved GFLOP/s on a preset
/// with random weights, next to the sgemm peak measured in the same run.
public struct DiTBenchmark: Sendable {
    public var preset: ModelPreset
    public var tokens: Int
    public var threads: Int
    public var repeats: Int
    /// Text tokens, as Wan's umT5 pads prompts to 512.
    public var textTokens = 512
    /// The PyTorch timing script (`Deploy/reference/bench_dit_torch.py`), or nil to time Reel alone.
    public var torchScript: String?
    /// With a PyTorch script: rounds of Reel's forwards followed at once by
    /// PyTorch's, so each round's two timings share the machine's load.
    public var rounds = 1

    public init(preset: ModelPreset, tokens: Int, threads: Int, repeats: Int) {
        self.preset = preset
        self.tokens = tokens
        self.threads = threads
        self.repeats = repeats
    }

    /// What one run measured.
    public struct Result: Codable, Sendable {
        public var preset: String
        public var tokens: Int
        public var latent_shape: [Int]
        public var threads: Int
        /// Median over every timed forward of every round.
        public var seconds: Double
        public var flops: Double
        public var gflops: Double
        public var sgemm_gflops: Double
        public var ratio: Double
        public var peak_rss_bytes: Int
        public var openblas_core: String
        /// Median of the rounds' PyTorch medians.
        public var torch_seconds: Double?
        public var torch_gflops: Double?
        /// Median over rounds of PyTorch's seconds over ours: above 1 means Reel is faster.
        public var speedup_vs_torch: Double?
        /// Each round's medians and speed-up, in order.
        public var rounds: [Round]?
    }

    /// One round: Reel's forwards, then PyTorch's.
    public struct Round: Codable, Sendable {
        public var seconds: Double
        public var torch_seconds: Double
        public var speedup_vs_torch: Double
    }

    /// The latent `(C, F, H, W)` with `tokens` patches, the rule shared with
    /// `Deploy/reference/bench_dit_torch.py`: 32,760 is Wan's 81×480×832 clip
    /// (21×60×104); otherwise one frame, as square as the divisors allow.
    public static func latentShape(tokens: Int, channels: Int) -> [Int] {
        if tokens == 32760 { return [channels, 21, 60, 104] }
        var h = 1
        var d = 1
        while d * d <= tokens {
            if tokens % d == 0 { h = d }
            d += 1
        }
        return [channels, 1, 2 * h, 2 * (tokens / h)]
    }

    /// FLOPs of one forward: 2·m·n·k for every GEMM (patch embedding, text and
    /// time embedders, all linears) plus 4·N²·C for self- and 4·N·L·C for
    /// cross-attention scores and sums.
    public static func flops(_ c: WanTransformerConfig, tokens n: Int, textTokens l: Int) -> Double {
        let (n, l, dim) = (Double(n), Double(l), Double(c.inner_dim))
        let patch = Double(c.patch_size.reduce(1, *))
        var total = 2 * n * Double(c.in_channels) * patch * dim
        total += 2 * l * Double(c.text_dim) * dim + 2 * l * dim * dim
        total += 2 * Double(c.freq_dim) * dim + 2 * dim * dim + 2 * dim * 6 * dim
        let block = 4 * 2 * n * dim * dim  // self q, k, v, out
            + 2 * 2 * n * dim * dim + 2 * 2 * l * dim * dim  // cross q, out; k, v over text
            + 2 * 2 * n * dim * Double(c.ffn_dim)  // feed-forward
            + 4 * n * n * dim + 4 * n * l * dim  // attention
        total += Double(c.num_layers) * block
        total += 2 * n * dim * Double(c.out_channels) * patch
        return total
    }

    public func run(progress: (String) -> Void = { _ in }) throws -> Result {
        let config = preset.transformer
        progress("measuring sgemm peak on \(threads) thread(s)")
        let peak = SGEMMPeak.measure(threads: threads)
        progress("building \(preset.rawValue) model with random weights")
        var weights = RandomWeights(seed: 1, recording: false)
        let model = try WanTransformer3DModel(config: config, from: &weights)
        let shape = Self.latentShape(tokens: tokens, channels: config.in_channels)
        var rng = SeededRandom(seed: 2)
        let x = rng.normalTensor([1] + shape)
        let text = rng.normalTensor([1, textTokens, config.text_dim])
        let t = try Tensor(shape: [1], storage: [500])
        Parallel.threads = threads
        progress("warm-up forward at \(tokens) tokens, latent \(shape)")
        _ = try model.forward(hiddenStates: x, timestep: t, encoderHiddenStates: text)
        var times = [Double]()
        var rounds = [Round]()
        for round in 1 ... (torchScript == nil ? 1 : max(1, self.rounds)) {
            var roundTimes = [Double]()
            for i in 0 ..< repeats {
                let start = DispatchTime.now().uptimeNanoseconds
                _ = try model.forward(hiddenStates: x, timestep: t, encoderHiddenStates: text)
                roundTimes.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
                progress("round \(round): forward \(i + 1)/\(repeats): \(String(format: "%.3f", roundTimes.last!)) s")
            }
            times += roundTimes
            if let torchScript {
                progress("round \(round): timing diffusers on PyTorch CPU with \(threads) thread(s)")
                let figures = try TorchComparison.run(
                    script: torchScript, preset: preset.rawValue, tokens: tokens, threads: threads, repeats: repeats)
                let ours = Self.median(roundTimes)
                rounds.append(Round(seconds: ours, torch_seconds: figures.seconds, speedup_vs_torch: figures.seconds / ours))
                progress(String(format: "round %d: Reel %.3f s, PyTorch %.3f s: %.2f×", round, ours, figures.seconds, figures.seconds / ours))
            }
        }
        let seconds = Self.median(times)
        let flops = Self.flops(config, tokens: tokens, textTokens: textTokens)
        let gflops = flops / seconds / 1e9
        var result = Result(
            preset: preset.rawValue, tokens: tokens, latent_shape: shape, threads: threads, seconds: seconds, flops: flops,
            gflops: gflops, sgemm_gflops: peak, ratio: gflops / peak, peak_rss_bytes: Self.peakRSS(),
            openblas_core: BLAS.coreName)
        if !rounds.isEmpty {
            let torchSeconds = Self.median(rounds.map(\.torch_seconds))
            result.torch_seconds = torchSeconds
            result.torch_gflops = flops / torchSeconds / 1e9
            result.speedup_vs_torch = Self.median(rounds.map(\.speedup_vs_torch))
            result.rounds = rounds
        }
        return result
    }

    /// The middle value, or the mean of the middle two of an even count.
    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted(), mid = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
    }

    /// Peak resident memory of this process so far.
    public static func peakRSS() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_maxrss * 1024
    }
}
