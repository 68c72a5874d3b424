import Testing

@testable import ReelCLI

/// The options issue 13's remainder added: `reel bench text`'s GEMM comparison
/// and `reel worker --memory-limit`.
struct TextEncoderOptionsTests {
    @Test func benchTextRunsTheGEMMsAloneOrWithAFolder() throws {
        let alone = try BenchTextCommand.parse(["--gemm-rounds", "3", "--panel-rows", "64, 256"])
        #expect(alone.folder == nil && alone.sweep == [64, 256])
        let both = try BenchTextCommand.parse(["/tmp/xxl2", "--weights", "bf16", "--torch"])
        #expect(both.folder == "/tmp/xxl2" && both.sweep == [] && both.gemmRounds == 5)
        #expect(throws: (any Error).self) { _ = try BenchTextCommand.parse(["--gemm-rounds", "0"]) }
        #expect(throws: (any Error).self) { _ = try BenchTextCommand.parse(["--torch"]) }
        #expect(throws: (any Error).self) { _ = try BenchTextCommand.parse(["--panel-rows", "64,x"]) }
        #expect(throws: (any Error).self) { _ = try BenchTextCommand.parse(["--panel-rows", "0"]) }
        #expect(throws: (any Error).self) { _ = try BenchTextCommand.parse(["/tmp/xxl2", "--weights", "f16"]) }
    }

    @Test func workerMemoryLimitMustBeAPositiveSize() throws {
        for bad in ["0", "-2", "nan"] {
            #expect(throws: (any Error).self) {
                _ = try WorkerCommand.parse(["--models", "/tmp", "--memory-limit", bad])
            }
        }
        let worker = try WorkerCommand.parse(["--models", "/tmp", "--memory-limit", "11.5"])
        #expect(worker.memoryLimit == 11.5)
    }
}
