import Foundation

/// Runs `Deploy/reference/bench_dit_torch.py` (diffusers on PyTorch CPU) on the
/// same preset, tokens and threads, so both figures come from one run.
public enum TorchComparison {
    public struct Figures: Decodable, Sendable {
        public let seconds: Double
        public let gflops: Double
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

    public static func run(script: String, preset: String, tokens: Int, threads: Int, repeats: Int) throws -> Figures {
        guard FileManager.default.fileExists(atPath: script) else { throw Failure.scriptMissing(script) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", script, "--preset", preset, "--tokens", "\(tokens)", "--threads", "\(threads)",
            "--repeat", "\(repeats)", "--json",
        ]
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
        return try JSONDecoder().decode(Figures.self, from: Data(last.utf8))
    }
}
