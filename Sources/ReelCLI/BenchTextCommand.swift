import ArgumentParser
import Foundation
import ReelBench
import ReelModel

struct BenchTextCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "text",
        abstract: "umT5 text encoder: its GEMMs at umT5-XXL's shapes against OpenBLAS's sgemm, and tokens/s on a folder (and PyTorch, with --torch).",
        discussion: """
            Without DIR, only the GEMMs: one layer's projections at umT5-XXL's shapes, Reel's bfloat16 and \
            float32 paths against OpenBLAS sgemm on float32 weights, in alternating rounds (medians). \
            With DIR (text_encoder/ and tokenizer/), also the whole forward; `python3 \
            Deploy/reference/bench_umt5_torch.py --make DIR --preset xxl2` writes one with umT5-XXL's widths \
            (2 of its 24 layers) and random weights.
            """)

    @Argument(help: "Model folder with text_encoder/ and tokenizer/ (optional: without it, only the GEMMs).")
    var folder: String?
    @Option(help: "Tokens per forward (a prompt's real tokens; at most 512).")
    var tokens: Int = 128
    @Option(help: "Threads (default: all cores).")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount
    @Option(name: .customLong("repeat"), help: "Timed forwards (the median is reported).")
    var repeat_: Int = 3
    @Option(help: "Alternating rounds of the GEMM comparison (0 skips it).")
    var gemmRounds: Int = 5
    @Option(help: ArgumentHelp("Also time the bfloat16 GEMM with these panel heights (rows of W widened at a time).", valueName: "ROWS,..."))
    var panelRows: String?
    @Option(help: "How Reel keeps DIR's weights: stored (as the files hold them) or bf16 (F32 rounded to BF16 on load, umT5-XXL's path in 24 GiB).")
    var weights: String = UMT5WeightStorage.asStored.rawValue
    @Flag(help: "Also time transformers' forward on PyTorch CPU (needs torch and transformers).")
    var torch = false
    @Option(help: "The PyTorch timing script.")
    var torchScript = "Deploy/reference/bench_umt5_torch.py"
    @Flag(help: "Print one JSON object.")
    var json = false

    struct Report: Encodable {
        var gemm: TextGEMMBenchmark.Result?
        var forward: TextBenchmark.Result?
    }

    func validate() throws {
        guard (1 ... 512).contains(tokens) else { throw ValidationError("--tokens must be 1…512, got \(tokens)") }
        guard threads >= 1, repeat_ >= 1 else { throw ValidationError("--threads and --repeat must be at least 1") }
        guard gemmRounds >= 0 else { throw ValidationError("--gemm-rounds must be at least 0") }
        guard folder != nil || gemmRounds > 0 else {
            throw ValidationError("nothing to measure: give a model folder, or --gemm-rounds of at least 1")
        }
        if torch, folder == nil { throw ValidationError("--torch times the whole forward: give the model folder it should load") }
        guard UMT5WeightStorage(rawValue: weights) != nil else {
            throw ValidationError("--weights must be \(UMT5WeightStorage.allCases.map(\.rawValue).joined(separator: " or ")), got '\(weights)'")
        }
        guard sweep != nil else { throw ValidationError("--panel-rows '\(panelRows ?? "")' is not a list of heights like 32,64,128") }
    }

    /// `--panel-rows` as heights (nil when malformed).
    var sweep: [Int]? {
        guard let panelRows else { return [] }
        let values = panelRows.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !values.isEmpty, values.allSatisfy({ ($0 ?? 0) >= 1 }) else { return nil }
        return values.compactMap { $0 }
    }

    func run() throws {
        var report = Report()
        if gemmRounds > 0 {
            var gemm = TextGEMMBenchmark(tokens: tokens, threads: threads, rounds: gemmRounds)
            gemm.panelSweep = sweep ?? []
            report.gemm = try gemm.run { printErr($0) }
        }
        if let folder {
            var bench = TextBenchmark(folder: folder, tokens: tokens, threads: threads, repeats: repeat_)
            if torch { bench.torchScript = torchScript }
            bench.storage = UMT5WeightStorage(rawValue: weights) ?? .asStored
            report.forward = try bench.run { printErr($0) }
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
            return
        }
        if let g = report.gemm {
            print("GEMMs of one umT5-XXL layer, \(g.tokens) tokens, \(g.threads) thread(s), median of \(g.rounds) alternating rounds (load \(String(format: "%.1f", g.load_before)) → \(String(format: "%.1f", g.load_after))):")
            for s in g.shapes {
                print(String(format: "  %@ ×%d (%d→%d): sgemm f32 %.1f ms, Reel bf16 %.1f ms (%.2f of sgemm), Reel f32 %.1f ms (%.2f); bf16 maxdiff %.1e",
                             s.shape.name, s.shape.count, s.shape.inFeatures, s.shape.outFeatures, s.peak_seconds * 1e3, s.bf16_seconds * 1e3,
                             s.peak_seconds / s.bf16_seconds, s.f32_seconds * 1e3, s.peak_seconds / s.f32_seconds, s.bf16_maxdiff))
            }
            print(String(format: "  layer: sgemm (OpenBLAS %@, f32 weights) %.3f s = %.1f GFLOP/s; Reel bf16 %.3f s, ratio %.2f; Reel f32 %.3f s, ratio %.2f",
                         g.openblas_core, g.peak_layer_seconds, g.peak_gflops, g.bf16_layer_seconds, g.bf16_ratio, g.f32_layer_seconds, g.f32_ratio))
            for (rows, ratio) in g.bf16_sweep_ratios.sorted(by: { Int($0.key)! < Int($1.key)! }) {
                print(String(format: "  bf16 with %@-row panels: ratio %.2f", rows, ratio))
            }
        }
        if let r = report.forward {
            print("forward: \(r.tokens) tokens, \(r.threads) thread(s), weights \(String(format: "%.2f", Double(r.weight_bytes) / 1e9)) GB (\(r.weights))")
            print(String(format: "  %.3f s, %.1f tokens/s; GEMMs %.1f GFLOP at %.1f GFLOP/s of forward time", r.seconds, r.tokens_per_second, r.gemm_flops / 1e9, r.gemm_gflops))
            print(String(format: "  GEMM FLOPs per forward-second / %d³ sgemm peak (OpenBLAS %@, %.1f GFLOP/s): %.2f", 2048, r.openblas_core, r.sgemm_gflops, r.ratio))
            print(String(format: "  peak memory: %.2f GiB", Double(r.peak_rss_bytes) / Double(1 << 30)))
            if let s = r.torch_seconds, let t = r.torch_tokens_per_second, let x = r.speedup_vs_torch {
                print(String(format: "  PyTorch forward: %.3f s, %.1f tokens/s; Reel is %.2f× PyTorch's speed", s, t, x))
            }
        }
    }
}
