import Foundation
import ReelModel
import ReelWorker
import Testing

/// A worker that offers prompt encoding counts the text encoder's resident size
/// beside its shards' weights, and opts out of encoding, saying why, when both
/// would not fit (issue 13). No farm: the decision is the worker's own.
struct PromptEncodingMemoryTests {
    static func models() throws -> String {
        let models = FileManager.default.temporaryDirectory.appendingPathComponent("reel-memory-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: models, withIntermediateDirectories: true)
        _ = try PromptEncodingFarmTests.makeModel(in: models)
        return models
    }

    @Test func encoderAndShardsAreCountedAgainstTheLimit() throws {
        let models = try Self.models()
        defer { try? FileManager.default.removeItem(atPath: models) }
        let executor = ModelExecutor(directory: models)
        let memory = try #require(try executor.promptEncodingMemory(model: "tinytext", limitBytes: 1 << 40))
        // The encoder as loaded, and the tiny preset's transformer and VAE: F32
        // files, so their data areas (file size less the 8-byte length and the header).
        let loaded = try TextEncoderFolder(path: models + "/tinytext").load().weightBytes
        #expect(memory.encoderBytes == loaded)
        var dataBytes = 0
        for part in ["transformer", "vae"] {
            let directory = models + "/tinytext/" + part
            for file in try FileManager.default.contentsOfDirectory(atPath: directory) where file.hasSuffix(".safetensors") {
                let data = try Data(contentsOf: URL(fileURLWithPath: directory + "/" + file))
                let header = data.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
                dataBytes += data.count - 8 - header
            }
        }
        #expect(dataBytes > 0 && memory.shardBytes == dataBytes)
        print("tinytext: encoder \(memory.encoderBytes) bytes, transformer and VAE \(memory.shardBytes) bytes")
        #expect(memory.fits && memory.refusal == nil)

        let needed = memory.encoderBytes + memory.shardBytes
        let exact = PromptEncodingMemory(model: "tinytext", limitBytes: needed, encoderBytes: memory.encoderBytes, shardBytes: memory.shardBytes)
        #expect(exact.fits)
        var short = exact
        short.limitBytes = needed - 1
        let refusal = try #require(short.refusal)
        #expect(refusal.contains("does not encode prompts for model 'tinytext'") && refusal.contains("--memory-limit"), "\(refusal)")
        // umT5-XXL in bf16 (10.7 GiB measured) beside Wan 1.3B's weights does not fit 12 GiB.
        let xxl = PromptEncodingMemory(model: "wan", limitBytes: 12 << 30, encoderBytes: 11_500_000_000, shardBytes: 5_700_000_000)
        #expect(xxl.refusal?.contains("its text encoder needs 10.7 GiB and the model's transformer and VAE 5.3 GiB, more than the 12.0 GiB") == true,
                "\(xxl.refusal ?? "")")
        let none = try executor.promptEncodingMemory(model: "nothing", limitBytes: 1)
        #expect(!executor.hasTextEncoder(model: "nothing") && none == nil)
    }

    @Test func aCgroupLimitLowersTheMachinesMemory() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("memory.max-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        let physical = Int(clamping: ProcessInfo.processInfo.physicalMemory)
        try "max\n".write(toFile: file, atomically: true, encoding: .utf8)
        #expect(PromptEncodingMemory.machineLimit(cgroupFile: file) == physical)
        try "1073741824\n".write(toFile: file, atomically: true, encoding: .utf8)
        #expect(PromptEncodingMemory.machineLimit(cgroupFile: file) == min(physical, 1 << 30))
        #expect(PromptEncodingMemory.machineLimit(cgroupFile: file + ".absent") == physical)
    }

    /// `reel worker --memory-limit` below what the encoder and shards need: the
    /// worker says so on stderr at start (and so offers no prompt encoding).
    @Test func aWorkerWithTooLittleMemorySaysItDoesNotEncode() async throws {
        let models = try Self.models()
        defer { try? FileManager.default.removeItem(atPath: models) }
        let log = URL(fileURLWithPath: models).appendingPathComponent("worker.log")
        let worker = try ChildProcess(
            TestFarm.reelBinary,
            ["worker", "--models", models, "--memory-limit", "0.0001", "--coordinator", "tcp://127.0.0.1:9", "--name", "small"], log: log)
        defer { worker.stop() }
        let line = try await worker.waitForLine(containing: "does not encode prompts for model 'tinytext'", timeout: .seconds(120))
        #expect(line.contains("worker small does not encode prompts") && line.contains("more than the 0.0 GiB this worker may use"), "\(line)")
    }
}
