import ArgumentParser
import Foundation
import ReelBench
import ReelModel

struct BenchDecodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "VAE decode and decode+H.264 frames/s for the tiny preset and Wan 2.1's real VAE (and PyTorch, with --torch).")

    @Option(help: "Only this preset's VAE: \(ModelPreset.allCases.map(\.rawValue).joined(separator: ", ")) (default: both; small is Wan 2.1's real VAE).")
    var preset: String?
    @Option(help: "Frame size WxH in pixels, multiples of 8.")
    var size = "832x480"
    @Option(help: "Latent frames to decode (default: 3 for tiny, 2 for small; 2 → 5 pixel frames).")
    var frames: Int?
    @Option(help: "Threads (default: all cores).")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount
    @Option(name: .customLong("repeat"), help: "Timed decodes (the median is reported).")
    var repeat_: Int = 1
    @Flag(help: "Also time diffusers' decode on PyTorch CPU (needs torch and diffusers).")
    var torch = false
    @Option(help: "The PyTorch timing script.")
    var torchScript = "Deploy/reference/bench_vae_torch.py"
    @Flag(help: "Print one JSON object.")
    var json = false

    func validate() throws {
        if let preset, ModelPreset(rawValue: preset) == nil { throw ValidationError("unknown preset '\(preset)'") }
        _ = try dimensions()
        if let frames, frames < 1 { throw ValidationError("--frames must be at least 1, got \(frames)") }
        guard threads >= 1, repeat_ >= 1 else { throw ValidationError("--threads and --repeat must be at least 1") }
    }

    func dimensions() throws -> (width: Int, height: Int) {
        let parts = size.lowercased().split(separator: "x").compactMap { Int($0) }
        guard parts.count == 2, parts.allSatisfy({ $0 > 0 && $0 % 8 == 0 }) else {
            throw ValidationError("--size must be WxH with multiples of 8, like 832x480; got '\(size)'")
        }
        return (parts[0], parts[1])
    }

    struct Report: Encodable {
        var results: [DecodeBenchmark.Result]
    }

    func run() throws {
        let (width, height) = try dimensions()
        var results = [DecodeBenchmark.Result]()
        for p in preset.map({ [ModelPreset(rawValue: $0)!] }) ?? ModelPreset.allCases {
            let latentFrames = frames ?? DecodeBenchmark.defaultLatentFrames(p)
            let bench = DecodeBenchmark(preset: p, width: width, height: height, latentFrames: latentFrames, threads: threads, repeats: repeat_)
            var result = try bench.run { printErr($0) }
            if torch {
                printErr("timing diffusers' decode on PyTorch CPU with \(threads) thread(s)")
                let figures = try TorchComparison.runDecode(
                    script: torchScript, preset: p.rawValue, width: width, height: height, latentFrames: latentFrames,
                    threads: threads, repeats: repeat_)
                result.torch_seconds = figures.seconds
                result.torch_fps = figures.fps
                result.speedup_vs_torch = figures.seconds / result.decode_seconds
            }
            results.append(result)
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(Report(results: results)), as: UTF8.self))
            return
        }
        for r in results {
            print("\(r.preset) VAE (\(r.vae_parameters) parameters), \(r.latent_frames) latent frames → \(r.pixel_frames) frames of \(r.width)×\(r.height), \(r.threads) thread(s)")
            print(String(format: "  decode: %.3f s, %.3f frames/s, %.1f GFLOP, %.1f GFLOP/s = %.2f of sgemm peak (%.1f GFLOP/s, OpenBLAS %@)",
                         r.decode_seconds, r.decode_fps, r.flops / 1e9, r.gflops, r.ratio, r.sgemm_gflops, r.openblas_core))
            print(String(format: "  decode + H.264: %.3f s, %.3f frames/s", r.render_seconds, r.render_fps))
            print(String(format: "  peak memory: %.2f GiB", Double(r.peak_rss_bytes) / Double(1 << 30)))
            if let s = r.torch_seconds, let x = r.speedup_vs_torch {
                print(String(format: "  PyTorch decode: %.3f s; Reel is %.2f× PyTorch's speed", s, x))
            }
        }
    }
}
