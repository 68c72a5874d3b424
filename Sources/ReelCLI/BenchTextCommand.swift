import ArgumentParser
import Foundation
import ReelBench

struct BenchTextCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "text",
        abstract: "umT5 text-encoder tokens/s on a folder, against the sgemm peak (and PyTorch, with --torch).",
        discussion: """
            DIR needs text_encoder/ and tokenizer/; `python3 Deploy/reference/bench_umt5_torch.py --make DIR \
            --preset xxl2` writes one with umT5-XXL's widths (2 of its 24 layers) and random weights.
            """)

    @Argument(help: "Model folder with text_encoder/ and tokenizer/.")
    var folder: String
    @Option(help: "Tokens per forward (a prompt's real tokens; at most 512).")
    var tokens: Int = 128
    @Option(help: "Threads (default: all cores).")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount
    @Option(name: .customLong("repeat"), help: "Timed forwards (the median is reported).")
    var repeat_: Int = 3
    @Flag(help: "Also time transformers' forward on PyTorch CPU (needs torch and transformers).")
    var torch = false
    @Option(help: "The PyTorch timing script.")
    var torchScript = "Deploy/reference/bench_umt5_torch.py"
    @Flag(help: "Print one JSON object.")
    var json = false

    func validate() throws {
        guard (1 ... 512).contains(tokens) else { throw ValidationError("--tokens must be 1…512, got \(tokens)") }
        guard threads >= 1, repeat_ >= 1 else { throw ValidationError("--threads and --repeat must be at least 1") }
    }

    func run() throws {
        var bench = TextBenchmark(folder: folder, tokens: tokens, threads: threads, repeats: repeat_)
        if torch { bench.torchScript = torchScript }
        let r = try bench.run { printErr($0) }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(r), as: UTF8.self))
            return
        }
        print("\(r.tokens) tokens, \(r.threads) thread(s), weights \(String(format: "%.2f", Double(r.weight_bytes) / 1e9)) GB")
        print(String(format: "forward: %.3f s, %.1f tokens/s; GEMMs %.1f GFLOP at %.1f GFLOP/s of forward time", r.seconds, r.tokens_per_second, r.gemm_flops / 1e9, r.gemm_gflops))
        print(String(format: "sgemm peak (OpenBLAS %@): %.1f GFLOP/s; ratio %.2f", r.openblas_core, r.sgemm_gflops, r.ratio))
        print(String(format: "peak memory: %.2f GiB", Double(r.peak_rss_bytes) / Double(1 << 30)))
        if let s = r.torch_seconds, let t = r.torch_tokens_per_second, let x = r.speedup_vs_torch {
            print(String(format: "PyTorch forward: %.3f s, %.1f tokens/s; Reel is %.2f× PyTorch's speed", s, t, x))
        }
    }
}
