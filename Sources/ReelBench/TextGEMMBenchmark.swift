import Foundation
import ReelModel
import ReelTensor

/// The GEMMs of one umT5 encoder layer at a config's real shapes (umT5-XXL's by
/// default), timed three ways in alternating rounds: OpenBLAS's own threaded
/// sgemm on float32 weights (the peak: what the same multiply costs when nothing
/// is widened), Reel's bfloat16 path (``Linear/forward(_:weight:panelRows:)``,
/// what umT5-XXL runs in 24 GiB), and Reel's float32 path (the encoder's F32
/// weights, rows split over threads). Alternating rounds and medians keep a
/// shared machine's noise on both sides of each ratio.
public struct TextGEMMBenchmark: Sendable {
    /// One projection's shape: `x (tokens, in) · Wᵀ`, `W (out, in)`, `count` times per layer.
    public struct Shape: Codable, Sendable, Equatable {
        public var name: String
        public var inFeatures: Int
        public var outFeatures: Int
        public var count: Int
    }

    public let config: UMT5Config
    public let tokens: Int
    public let threads: Int
    public let rounds: Int
    /// Extra panel heights for the bfloat16 path, each timed in the same rounds (the
    /// measurement behind ``Linear/bfloat16PanelRows``); empty: the default only.
    public var panelSweep: [Int] = []

    public init(config: UMT5Config = UMT5Config(), tokens: Int, threads: Int, rounds: Int) {
        self.config = config
        self.tokens = tokens
        self.threads = threads
        self.rounds = rounds
    }

    /// q, k, v (`d_model → inner`), o (`inner → d_model`), wi_0 and wi_1 (`d_model → d_ff`), wo (`d_ff → d_model`).
    public static func shapes(_ c: UMT5Config) -> [Shape] {
        var shapes = [Shape(name: "q/k/v", inFeatures: c.d_model, outFeatures: c.inner_dim, count: 3)]
        if c.inner_dim == c.d_model {
            shapes[0] = Shape(name: "q/k/v/o", inFeatures: c.d_model, outFeatures: c.inner_dim, count: 4)
        } else {
            shapes.append(Shape(name: "o", inFeatures: c.inner_dim, outFeatures: c.d_model, count: 1))
        }
        return shapes + [
            Shape(name: "wi_0/wi_1", inFeatures: c.d_model, outFeatures: c.d_ff, count: 2),
            Shape(name: "wo", inFeatures: c.d_ff, outFeatures: c.d_model, count: 1),
        ]
    }

    public struct ShapeResult: Codable, Sendable {
        public var shape: Shape
        /// Medians over the rounds, seconds per call.
        public var peak_seconds: Double
        public var bf16_seconds: Double
        public var f32_seconds: Double
        /// Panel height → median seconds, for ``panelSweep``.
        public var bf16_sweep_seconds: [String: Double]
        /// max |bf16 path − peak| / max |peak| on this shape (the same weights).
        public var bf16_maxdiff: Double
    }

    public struct Result: Codable, Sendable {
        public var tokens: Int
        public var threads: Int
        public var rounds: Int
        /// The default panel height (``Linear/bfloat16PanelRows``).
        public var bf16_panel_rows: Int
        public var shapes: [ShapeResult]
        /// FLOPs of one layer's GEMMs (2·tokens·in·out per call).
        public var layer_flops: Double
        /// One layer's GEMMs, the sum of `count ×` each shape's median.
        public var peak_layer_seconds: Double
        public var bf16_layer_seconds: Double
        public var f32_layer_seconds: Double
        public var peak_gflops: Double
        /// Peak time over Reel's time: 1 means as fast as OpenBLAS on float32 weights.
        public var bf16_ratio: Double
        public var f32_ratio: Double
        /// Panel height → ratio, for the sweep.
        public var bf16_sweep_ratios: [String: Double]
        /// /proc/loadavg's one-minute figure before and after (other work on the machine).
        public var load_before: Double
        public var load_after: Double
        public var openblas_core: String
    }

    /// One shape's operands: the same weights as bf16 bits, float32 `(out, in)` and
    /// float32 `(in, out)` (as the encoder keeps F32 weights).
    struct Operands {
        let x: Tensor
        let bf16: BFloat16Matrix
        let outIn: Tensor
        let inOut: Tensor
    }

    static func operands(_ shape: Shape, tokens: Int, seed: UInt64) throws -> Operands {
        var rng = SeededRandom(seed: seed)
        let x = rng.uniformTensor([tokens, shape.inFeatures])
        let bits = rng.normalTensor([shape.outFeatures, shape.inFeatures], scale: 0.02).storage.map { HalfPrecision.bfloat16(from: $0) }
        let bf16 = try BFloat16Matrix(rows: shape.outFeatures, columns: shape.inFeatures, bits: bits)
        let outIn = bf16.widened()
        var inOut = Tensor(zeros: [shape.inFeatures, shape.outFeatures])
        for o in 0 ..< shape.outFeatures {
            for i in 0 ..< shape.inFeatures { inOut.storage[i * shape.outFeatures + o] = outIn.storage[o * shape.inFeatures + i] }
        }
        return Operands(x: x, bf16: bf16, outIn: outIn, inOut: inOut)
    }

    /// `x · Wᵀ` by one OpenBLAS call on its own `threads` threads.
    static func peak(_ o: Operands, threads: Int) -> Tensor {
        let (n, k, m) = (o.x.shape[0], o.outIn.shape[1], o.outIn.shape[0])
        var y = Tensor(zeros: [n, m])
        let saved = BLAS.openBLASThreads
        BLAS.openBLASThreads = threads
        defer { BLAS.openBLASThreads = saved }
        o.x.storage.withUnsafeBufferPointer { a in
            o.outIn.storage.withUnsafeBufferPointer { b in
                y.storage.withUnsafeMutableBufferPointer { c in
                    BLAS.sgemm(m: n, n: m, k: k, a: a.baseAddress!, lda: k, b: b.baseAddress!, ldb: k, transposeB: true, c: c.baseAddress!, ldc: m)
                }
            }
        }
        return y
    }

    static func seconds(_ body: () throws -> Void) rethrows -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    public static func loadAverage() -> Double {
        guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return .nan }
        return Double(text.split(separator: " ").first ?? "") ?? .nan
    }

    public func run(progress: (String) -> Void = { _ in }) throws -> Result {
        _ = BLAS.configure
        let savedThreads = Parallel.threads
        Parallel.threads = threads
        defer { Parallel.threads = savedThreads }
        let loadBefore = Self.loadAverage()
        let shapes = Self.shapes(config)
        var results: [ShapeResult] = []
        for (index, shape) in shapes.enumerated() {
            progress("GEMM \(shape.name): \(tokens)×\(shape.inFeatures) · (\(shape.outFeatures)×\(shape.inFeatures))ᵀ, \(rounds) rounds")
            let o = try Self.operands(shape, tokens: tokens, seed: UInt64(31 + index))
            // Warm-up, and the check that the bf16 path computes the same product.
            let reference = Self.peak(o, threads: threads)
            let ours = try Linear.forward(o.x, weight: o.bf16)
            _ = try Linear.forward(o.x, weight: o.inOut, layout: .inOut, bias: nil)
            let scale = reference.storage.reduce(0) { max($0, abs($1)) }
            let diff = zip(ours.storage, reference.storage).reduce(0) { max($0, abs($1.0 - $1.1)) }
            var peak: [Double] = [], bf16: [Double] = [], f32: [Double] = []
            var sweep: [Int: [Double]] = [:]
            for round in 0 ..< rounds {
                // Alternate which side goes first, so a drift in load favours neither.
                var steps: [() throws -> Void] = [
                    { peak.append(Self.seconds { _ = Self.peak(o, threads: threads) }) },
                    { bf16.append(try Self.seconds { _ = try Linear.forward(o.x, weight: o.bf16) }) },
                    { f32.append(try Self.seconds { _ = try Linear.forward(o.x, weight: o.inOut, layout: .inOut, bias: nil) }) },
                ]
                for rows in panelSweep {
                    steps.append { sweep[rows, default: []].append(try Self.seconds { _ = try Linear.forward(o.x, weight: o.bf16, panelRows: rows) }) }
                }
                if round % 2 == 1 { steps.reverse() }
                for step in steps { try step() }
            }
            let result = ShapeResult(
                shape: shape, peak_seconds: DiTBenchmark.median(peak), bf16_seconds: DiTBenchmark.median(bf16),
                f32_seconds: DiTBenchmark.median(f32),
                bf16_sweep_seconds: Dictionary(uniqueKeysWithValues: sweep.map { ("\($0.key)", DiTBenchmark.median($0.value)) }),
                bf16_maxdiff: Double(diff / max(scale, .leastNormalMagnitude)))
            progress(String(format: "  peak %.4f s, bf16 %.4f s (%.2f), f32 %.4f s (%.2f)", result.peak_seconds, result.bf16_seconds,
                            result.peak_seconds / result.bf16_seconds, result.f32_seconds, result.peak_seconds / result.f32_seconds))
            results.append(result)
        }
        func layer(_ seconds: (ShapeResult) -> Double) -> Double { results.reduce(0) { $0 + Double($1.shape.count) * seconds($1) } }
        let flops = shapes.reduce(0.0) { $0 + Double($1.count) * 2 * Double(tokens) * Double($1.inFeatures) * Double($1.outFeatures) }
        let (peakLayer, bf16Layer, f32Layer) = (layer(\.peak_seconds), layer(\.bf16_seconds), layer(\.f32_seconds))
        var sweepRatios: [String: Double] = [:]
        for rows in panelSweep { sweepRatios["\(rows)"] = peakLayer / layer { $0.bf16_sweep_seconds["\(rows)"] ?? .nan } }
        return Result(
            tokens: tokens, threads: threads, rounds: rounds,
            bf16_panel_rows: Linear.bfloat16PanelRows, shapes: results,
            layer_flops: flops, peak_layer_seconds: peakLayer, bf16_layer_seconds: bf16Layer, f32_layer_seconds: f32Layer,
            peak_gflops: flops / peakLayer / 1e9, bf16_ratio: peakLayer / bf16Layer, f32_ratio: peakLayer / f32Layer,
            bf16_sweep_ratios: sweepRatios, load_before: loadBefore, load_after: Self.loadAverage(), openblas_core: BLAS.coreName)
    }
}
