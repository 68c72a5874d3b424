import Foundation
import ReelFuzzing
import ReelModel
import ReelTensor
import Testing

/// Whatever a model folder's `config.json` files say, opening the folder throws a
/// `ModelError` or yields a config whose shapes the loader can compute, and loading
/// the weights then checks every tensor against them. ReelModel is built with
/// `-Ounchecked`: a config's numbers reach size arithmetic only through real checks.
@Suite("Model config fuzz")
struct ConfigFuzzTests {
    let dir = NSTemporaryDirectory() + "reel-config-fuzz-\(UUID().uuidString)"

    /// A tiny model folder with a VAE; the fuzz rewrites its configs.
    func tinyFolder() throws -> String {
        let preset = ModelPreset.tiny
        try ModelFolder.create(at: dir, transformer: preset.transformer, scheduler: preset.scheduler, vae: preset.vae, seed: 3)
        return dir
    }

    func write(_ bytes: [UInt8], to path: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    /// Rewrites the config at `path` with damaged copies of `valid` for a bounded
    /// time; `open` reads each and checks what it accepted. Both outcomes must occur:
    /// some damage (a version string, a statistic) leaves a valid config.
    func fuzz(
        _ name: String, seed: UInt64, seconds: Double = 3, valid: [String: Any], at path: String,
        open: () throws(ModelError) -> Void
    ) throws {
        let summary = try Fuzzer(name, seed: seed, seconds: seconds).run { random, _ in
            try write(JSONMutator.bytes(JSONMutator.mutate(valid, using: &random), using: &random), to: path)
            do throws(ModelError) {
                try open()
                return true
            } catch {
                #expect(!error.description.isEmpty)
                return false
            }
        }
        #expect(summary.accepted > 0 && summary.accepted < summary.rounds)
    }

    @Test("damaged transformer configs are refused, or load weights of the shapes they describe")
    func transformerConfigs() throws {
        let folder = try tinyFolder()
        try fuzz("transformer config", seed: 0xD17, valid: ModelPreset.tiny.transformer.jsonObject(), at: folder + "/transformer/config.json") {
            () throws(ModelError) in
            let transformer = try TransformerFolder(path: folder)
            let c = transformer.config
            let extents = [
                c.num_attention_heads, c.attention_head_dim, c.inner_dim, c.in_channels, c.out_channels, c.text_dim, c.freq_dim,
                c.ffn_dim, c.num_layers,
            ]
            #expect(extents.allSatisfy { (1 ... WanTransformerConfig.maxExtent).contains($0) }, "\(c)")
            #expect(c.patch_size.count == 3 && c.patch_size.allSatisfy { (1 ... WanTransformerConfig.maxPatch).contains($0) })
            // Shapes that differ from the checkpoint's must be named, not trapped on.
            if let model = try? transformer.load() {
                let checkpoint = try transformer.checkpoint()
                #expect(model.parameterCount == checkpoint.names.reduce(0) { $0 + (checkpoint.entry($1)?.shape.reduce(1, *) ?? 0) })
            }
        }
    }

    @Test("damaged VAE configs are refused, or describe strides and shapes that fit")
    func vaeConfigs() throws {
        let folder = try tinyFolder()
        let path = folder + "/vae/config.json"
        try fuzz("vae config", seed: 0x7AE, valid: ModelPreset.tiny.vae.jsonObject(), at: path) { () throws(ModelError) in
            let c = try WanVAEConfig.load(path: path)
            #expect((1 ... WanVAEConfig.maxLevels).contains(c.dim_mult.count))
            #expect(c.spatialStride >= 1 && c.temporalStride >= 1)
            let reach = c.decoderStageReach
            #expect(zip(reach, reach.dropFirst()).allSatisfy { $0 >= $1 } && (reach.last ?? -1) >= 0)
            if let vae = try? WanVAE(folder: URL(fileURLWithPath: folder)) { #expect(vae.parameterCount > 0) }
        }
    }

    @Test("damaged scheduler configs are refused, or give a schedule")
    func schedulerConfigs() throws {
        let folder = try tinyFolder()
        try fuzz(
            "scheduler config", seed: 0x5C4ED, seconds: 1, valid: ModelPreset.tiny.scheduler.jsonObject(),
            at: folder + "/scheduler/scheduler_config.json"
        ) { () throws(ModelError) in
            let scheduler = try FlowMatchEulerDiscreteScheduler(config: try ModelFolder(path: folder).schedulerConfig, steps: 4)
            #expect(scheduler.sigmas.count == 5 && scheduler.sigmas.last == 0)
        }
    }

    /// Writes `object` with `key` set to `value` and expects `load` to refuse it by naming `refused`.
    func expectRefused(
        _ object: [String: Any], _ key: String, _ value: Any, naming refused: String, at path: String,
        load: (String) throws(ModelError) -> Void
    ) throws {
        var object = object
        object[key] = value
        try write([UInt8](try JSONSerialization.data(withJSONObject: object)), to: path)
        do {
            try load(path)
            Issue.record("\(key) = \(value) was accepted")
        } catch {
            guard case .invalidConfig(_, let named, _) = error else {
                Issue.record("\(key) = \(value): \(error)")
                return
            }
            #expect(named == refused, "\(key) = \(value): \(error)")
        }
    }

    /// Values that used to reach `inner_dim`'s product or a shape's and overflow
    /// there (a trap, or under `-Ounchecked` a wrapped size); each is now refused by key.
    @Test func hugeTransformerValuesAreRefusedByKey() throws {
        let cases: [(key: String, value: Any, refused: String)] = [
            ("num_attention_heads", 1 << 32, "num_attention_heads"), ("attention_head_dim", 1 << 40, "attention_head_dim"),
            ("num_attention_heads", 1 << 20, "num_attention_heads"), ("patch_size", [1, 1 << 40, 2], "patch_size"),
            ("ffn_dim", Int.max, "ffn_dim"), ("in_channels", -3, "in_channels"),
        ]
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for c in cases {
            try expectRefused(ModelPreset.tiny.transformer.jsonObject(), c.key, c.value, naming: c.refused, at: dir + "/config.json") {
                path throws(ModelError) in _ = try WanTransformerConfig.load(path: path)
            }
        }
        // A config built in code is checked too, before any shape is computed from it.
        var huge = ModelPreset.tiny.transformer
        huge.num_attention_heads = 1 << 32
        huge.attention_head_dim = 1 << 32
        var weights = RandomWeights(seed: 1)
        #expect(throws: ModelError.self) { try WanTransformer3DModel(config: huge, from: &weights) }
    }

    /// `dim_mult` with 70 levels made the spatial stride `1 << 69`, which is 0, and
    /// checking a video divided by it; huge widths overflowed `base × mult`.
    @Test func hugeVAEValuesAreRefusedByKey() throws {
        let cases: [(key: String, value: Any, refused: String)] = [
            ("dim_mult", Array(repeating: 1, count: 70), "dim_mult"), ("dim_mult", [1, 1 << 62, 4, 4], "dim_mult"),
            ("base_dim", 1 << 40, "base_dim"), ("num_res_blocks", Int.max, "num_res_blocks"), ("z_dim", 0, "z_dim"),
        ]
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for c in cases {
            try expectRefused(ModelPreset.tiny.vae.jsonObject(), c.key, c.value, naming: c.refused, at: dir + "/config.json") {
                path throws(ModelError) in _ = try WanVAEConfig.load(path: path)
            }
        }
    }
}
