import Foundation
import ReelModel
import ReelTensor

/// `reel bench text`: the umT5 encoder's forward on a folder's `text_encoder/`,
/// in tokens per second, against this machine's sgemm peak and (optionally)
/// transformers on PyTorch CPU with the same ids and threads, in one run.
public struct TextBenchmark: Sendable {
    public let folder: String
    public let tokens: Int
    public let threads: Int
    public let repeats: Int
    /// `Deploy/reference/bench_umt5_torch.py`, or nil to skip PyTorch.
    public var torchScript: String?
    /// How Reel keeps the weights: `.bfloat16` times the path umT5-XXL takes in 24 GiB.
    public var storage: UMT5WeightStorage = .asStored

    public init(folder: String, tokens: Int, threads: Int, repeats: Int) {
        self.folder = folder
        self.tokens = tokens
        self.threads = threads
        self.repeats = repeats
    }

    public struct Result: Codable, Sendable {
        public var tokens: Int
        public var threads: Int
        public var seconds: Double
        public var tokens_per_second: Double
        /// FLOPs of the projections and feed-forward (2·m·n·k each) per forward.
        public var gemm_flops: Double
        /// `gemm_flops` over the whole forward's time: a lower bound on the GEMMs' own speed.
        public var gemm_gflops: Double
        public var sgemm_gflops: Double
        public var ratio: Double
        public var weight_bytes: Int
        /// `stored` or `bf16` (``UMT5WeightStorage``).
        public var weights: String
        public var peak_rss_bytes: Int
        public var openblas_core: String
        public var torch_seconds: Double?
        public var torch_tokens_per_second: Double?
        public var speedup_vs_torch: Double?
    }

    /// `(i · 7919) mod 4096`, the ids the PyTorch script uses.
    public static func ids(_ tokens: Int, vocabulary: Int) -> [Int32] {
        (0 ..< tokens).map { Int32(($0 * 7919) % min(4096, vocabulary)) }
    }

    /// GEMM FLOPs of one forward over `tokens` tokens.
    public static func gemmFlops(_ c: UMT5Config, tokens: Int) -> Double {
        let (n, d, inner, ff) = (Double(tokens), Double(c.d_model), Double(c.inner_dim), Double(c.d_ff))
        let perLayer = 2 * n * d * inner * 4 + 2 * n * d * ff * 3
        return Double(c.num_layers) * perLayer
    }

    /// What `bench_umt5_torch.py --json` reports (the fields used here).
    struct TorchFigures: Decodable {
        let seconds: Double
    }

    public func run(progress: (String) -> Void = { _ in }) throws -> Result {
        progress("measuring sgemm peak on \(threads) thread(s)")
        let peak = SGEMMPeak.measure(threads: threads)
        let text = try TextEncoderFolder(path: folder)
        progress("loading \(text.directory)")
        let model = try text.load(storage: storage)
        let ids = Self.ids(tokens, vocabulary: text.config.vocab_size)
        Parallel.threads = threads
        _ = try model.forward(ids: ids)
        var times = [Double]()
        for i in 0 ..< repeats {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = try model.forward(ids: ids)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            progress("forward \(i + 1)/\(repeats): \(String(format: "%.3f", times.last!)) s")
        }
        let seconds = DiTBenchmark.median(times)
        let flops = Self.gemmFlops(text.config, tokens: tokens)
        var result = Result(
            tokens: tokens, threads: threads, seconds: seconds, tokens_per_second: Double(tokens) / seconds, gemm_flops: flops,
            gemm_gflops: flops / seconds / 1e9, sgemm_gflops: peak, ratio: flops / seconds / 1e9 / peak,
            weight_bytes: model.weightBytes, weights: storage.rawValue, peak_rss_bytes: DiTBenchmark.peakRSS(), openblas_core: BLAS.coreName)
        if let torchScript {
            progress("timing transformers on PyTorch CPU with \(threads) thread(s)")
            let figures: TorchFigures = try TorchComparison.run(
                script: torchScript, arguments: [folder, "--tokens", "\(tokens)", "--threads", "\(threads)", "--repeat", "\(repeats)"])
            result.torch_seconds = figures.seconds
            result.torch_tokens_per_second = Double(tokens) / figures.seconds
            result.speedup_vs_torch = figures.seconds / seconds
        }
        return result
    }
}
