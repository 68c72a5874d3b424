import Foundation
import ReelCoordinator
import ReelHash
import ReelModel
import ReelPlan
import ReelTensor
import Testing

/// Where the engine's results are bit-identical, which decides how verification
/// compares two workers' results (issue 14, item 3; README "Verified results").
///
/// The same sampling (tiny model, 4 steps, guidance) runs as `reel model sample`
/// processes with 1–3 compute threads under each OpenBLAS kernel family this CPU
/// can run (OPENBLAS_CORETYPE picks one; OPENBLAS_VERBOSE=2 makes the process say
/// which it got). Every family gives the same bits at every thread count: the
/// engine cuts a GEMM's rows into blocks that depend on the row count alone, since
/// the Haswell family (what Zen CPUs get) rounds a row differently with the rows in
/// its call (when the blocks were a thread's share, it gave a result per thread
/// count). Kernel families differ by a few 1e-6, far below
/// ``ResultComparison/crossKernelTolerance``, itself far below a poisoned result.
@Suite(.serialized, .farmSlot) struct EngineDeterminismTests {
    struct Run {
        var kernel: String
        var threads: Int
        var sha: String
        var values: [Float]
    }

    @Test func latentsAcrossThreadCountsAndOpenBLASKernels() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("reel-determinism-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let models = directory.appendingPathComponent("models").path
        try TestFarm.ensureModel(at: models)
        let inputs = directory.appendingPathComponent("in.safetensors").path
        // The farm's own noise and the stand-in embedder's rows: any fixed inputs do.
        let latent = LatentShape(channels: 16, frames: 6, height: 16, width: 16)
        let noise = try Tensor(shape: [1] + latent.dimensions, storage: LatentNoise(seed: 11, shape: latent).values(in: 0 ..< latent.count))
        let embedder = StandInTextEmbedder(width: 64, tokens: 32)
        func embeds(_ text: String) throws -> Tensor { try Tensor(shape: [1, 32, 64], storage: embedder.embed(text).storage) }
        try SafeTensorsWriter.write(
            [.init("noise", noise), .init("prompt_embeds", try embeds("a lighthouse in a storm")), .init("negative_prompt_embeds", try embeds("blurry"))],
            to: inputs)

        let flags = Self.cpuFlags()
        // Each family only where this CPU runs it (forcing AVX-512 kernels elsewhere would crash).
        let families = [("SkylakeX", "avx512f"), ("Cooperlake", "avx512_bf16"), ("Haswell", "avx2"), ("Sandybridge", "avx"), ("Prescott", "sse3")]
            .filter { flags.contains($0.1) }.map(\.0)
        #expect(families.contains("Prescott"), "every x86-64 CPU Reel runs on has SSE3")
        var runs: [Run] = []
        for family in families {
            for threads in [1, 2, 3] {
                runs.append(try Self.sample(models: models, inputs: inputs, directory: directory, coretype: family, threads: threads))
            }
        }
        // The same run again: deterministic.
        let again = try Self.sample(models: models, inputs: inputs, directory: directory, coretype: families[0], threads: 2)
        #expect(again.sha == runs[1].sha)

        let reference = runs[0]
        for run in runs {
            let comparison = ResultComparison.compare(run.values, reference.values)
            print("determinism: kernel \(run.kernel) threads \(run.threads): sha256 \(run.sha.prefix(16)) maxdiff \(comparison.maxdiff) vs \(reference.kernel)/\(reference.threads)")
        }
        for family in families {
            let shas = Set(runs.filter { $0.kernel.lowercased() == family.lowercased() }.map(\.sha))
            print("determinism: \(family): \(shas.count) distinct result(s) over threads 1–3")
            #expect(shas.count == 1, "\(family): thread counts gave different bits")
        }
        // Kernel families differ; all agree within the tolerance.
        #expect(Set(runs.map(\.sha)).count > 1, "kernel families rounding alike would make SHA-256 enough everywhere")
        for run in runs {
            let comparison = ResultComparison.compare(run.values, reference.values)
            #expect(comparison.agree, "\(run.kernel)/\(run.threads): maxdiff \(comparison.maxdiff)")
        }
        let poisoned = ResultComparison.compare(reference.values.map { $0 + 0.05 }, reference.values)
        print("determinism: a result poisoned by +0.05: maxdiff \(poisoned.maxdiff) against the tolerance \(ResultComparison.crossKernelTolerance)")
        #expect(!poisoned.agree)
    }

    static func sample(models: String, inputs: String, directory: URL, coretype: String, threads: Int) throws -> Run {
        let output = directory.appendingPathComponent("out-\(coretype)-\(threads).safetensors").path
        let log = directory.appendingPathComponent("sample-\(coretype)-\(threads).log")
        let process = try ChildProcess(
            "/usr/bin/env",
            ["OPENBLAS_VERBOSE=2", "OPENBLAS_CORETYPE=\(coretype)", TestFarm.reelBinary, "model", "sample", models + "/tiny",
             "--inputs", inputs, "--steps", "4", "--threads", "\(threads)", "--output", output], log: log)
        guard process.wait(timeout: .seconds(120)) else {
            process.signal(SIGKILL)
            throw APIError.unavailable("reel model sample did not finish; see \(log.path)")
        }
        let text = try String(contentsOf: log, encoding: .utf8)
        let kernel = text.split(separator: "\n").first { $0.hasPrefix("Core: ") }.map { String($0.dropFirst(6)) } ?? "?"
        #expect(kernel.lowercased() == coretype.lowercased(), "asked for \(coretype), ran \(kernel)")
        let latents = try SafeTensorsFile(path: output).tensor("latents")
        return Run(kernel: kernel, threads: threads, sha: SHA256.hex(SHA256.hash(littleEndian: latents.storage)), values: latents.storage)
    }

    static func cpuFlags() -> Set<String> {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") })
        else { return ["sse3"] }
        // /proc/cpuinfo calls SSE3 "pni".
        var flags = Set(line.split(separator: " ").map(String.init))
        if flags.contains("pni") { flags.insert("sse3") }
        return flags
    }
}
