import ArgumentParser
import Foundation
import ReelBench
import ReelModel

struct BenchDiTCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dit",
        abstract: "Transformer forward GFLOP/s against this machine's sgemm peak (and PyTorch, with --torch).")

    @Option(help: "Model preset: \(ModelPreset.allCases.map(\.rawValue).joined(separator: ", ")).")
    var preset: String = "small"
    @Option(help: "Video tokens (latent patches) per forward; 32760 is Wan's 5 s of 480p.")
    var tokens: Int = 1024
    @Option(help: "Threads (default: all cores).")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount
    @Option(name: .customLong("repeat"), help: "Timed forwards (the median is reported).")
    var repeat_: Int = 3
    @Flag(help: "Also time the diffusers forward on PyTorch CPU (needs torch and diffusers).")
    var torch = false
    @Option(help: "With --torch: rounds of Reel's forwards each followed by PyTorch's; the median round's speed-up is reported.")
    var rounds: Int = 3
    @Option(help: "The PyTorch timing script.")
    var torchScript = "Deploy/reference/bench_dit_torch.py"
    @Flag(help: "Print one JSON object.")
    var json = false

    func validate() throws {
        guard ModelPreset(rawValue: preset) != nil else { throw ValidationError("unknown preset '\(preset)'") }
        guard tokens >= 1 else { throw ValidationError("--tokens must be at least 1, got \(tokens)") }
        guard threads >= 1, repeat_ >= 1, rounds >= 1 else {
            throw ValidationError("--threads, --repeat and --rounds must be at least 1")
        }
    }

    func run() throws {
        var bench = DiTBenchmark(preset: ModelPreset(rawValue: preset)!, tokens: tokens, threads: threads, repeats: repeat_)
        if torch {
            bench.torchScript = torchScript
            bench.rounds = rounds
        }
        let result = try bench.run { printErr($0) }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(result), as: UTF8.self))
            return
        }
        print("preset \(result.preset), \(result.tokens) tokens (latent \(result.latent_shape)), \(result.threads) thread(s)")
        print(String(format: "forward: %.3f s, %.1f GFLOP, %.1f GFLOP/s", result.seconds, result.flops / 1e9, result.gflops))
        print(String(format: "sgemm peak (OpenBLAS %@): %.1f GFLOP/s", result.openblas_core, result.sgemm_gflops))
        print(String(format: "ratio to sgemm peak: %.2f", result.ratio))
        print(String(format: "peak memory: %.2f GiB", Double(result.peak_rss_bytes) / Double(1 << 30)))
        if let s = result.torch_seconds, let x = result.speedup_vs_torch, let rounds = result.rounds {
            let each = rounds.map { String(format: "%.2f", $0.speedup_vs_torch) }.joined(separator: ", ")
            print(String(format: "PyTorch forward: %.3f s; Reel is %.2f× PyTorch's speed", s, x) + " (median of rounds: \(each))")
        }
    }
}
