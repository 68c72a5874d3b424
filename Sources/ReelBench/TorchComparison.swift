import Foundation

/// Runs a PyTorch timing script from `Deploy/reference/` (diffusers on PyTorch CPU)
/// on the same model, shapes and threads, so both figures come from one run.
public enum TorchComparison {
    /// What `bench_dit_torch.py --json` reports.
    public struct Figures: Decodable, Sendable {
        public let seconds: Double
        public let gflops: Double
        public let torch_version: String?
    }

    /// What `bench_vae_torch.py --json` reports.
    public struct DecodeFigures: Decodable, Sendable {
        public let seconds: Double
        public let fps: Double
        public let pixel_frames: Int
        public let torch_version: String?
    }

    public enum Failure: Error, CustomStringConvertible {
        case scriptMissing(String)
        case failed(status: Int32, output: String)
        public var description: String {
            switch self {
            case let .scriptMissing(path):
                "PyTorch comparison script '\(path)' not found; run from the repository root or pass --torch-script"
            case let .failed(status, output):
                "the PyTorch benchmark exited with \(status) (is `pip install torch diffusers safetensors` done?):\n\(output)"
            }
        }
    }

    /// `bench_dit_torch.py`: one transformer forward on `preset` at `tokens`.
    public static func run(script: String, preset: String, tokens: Int, threads: Int, repeats: Int) throws -> Figures {
        try run(script: script, arguments: [
            "--preset", preset, "--tokens", "\(tokens)", "--threads", "\(threads)", "--repeat", "\(repeats)",
        ])
    }

    /// `bench_vae_torch.py`: `vae.decode` of `latentFrames` latent frames of a `width × height` clip.
    public static func runDecode(
        script: String, preset: String, width: Int, height: Int, latentFrames: Int, threads: Int, repeats: Int
    ) throws -> DecodeFigures {
        try run(script: script, arguments: [
            "--preset", preset, "--width", "\(width)", "--height", "\(height)", "--latent-frames", "\(latentFrames)",
            "--threads", "\(threads)", "--repeat", "\(repeats)",
        ])
    }

    /// Runs `python3 script arguments… --json` and decodes the JSON object it prints last.
    static func run<Result: Decodable>(script: String, arguments: [String]) throws -> Result {
        guard FileManager.default.fileExists(atPath: script) else { throw Failure.scriptMissing(script) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script] + arguments + ["--json"]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure.failed(status: process.terminationStatus, output: String(decoding: errors, as: UTF8.self))
        }
        // The script prints one JSON object as its last line.
        let last = String(decoding: data, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? ""
        return try JSONDecoder().decode(Result.self, from: Data(last.utf8))
    }
}
