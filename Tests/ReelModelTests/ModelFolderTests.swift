import Foundation
import Testing
import ReelModel
import ReelTensor

/// Creating, loading and rejecting model folders.
@Suite struct ModelFolderTests {
    let dir = NSTemporaryDirectory() + "reel-model-\(UUID().uuidString)"

    func tinyFolder(_ name: String = "tiny", dtype: DType = .f32) throws -> ModelFolder {
        try ModelFolder.create(
            at: dir + "/" + name, transformer: ModelPreset.tiny.transformer, scheduler: ModelPreset.tiny.scheduler, seed: 7, dtype: dtype)
    }

    var weightsPath: (ModelFolder) -> String {
        { $0.transformerDirectory + "/diffusion_pytorch_model.safetensors" }
    }

    /// Rewrites the folder's weights through `edit`.
    func rewriteWeights(_ folder: ModelFolder, _ edit: (inout [String: Tensor]) -> Void) throws {
        try WeightFileEditing.rewrite(weightsPath(folder), edit)
    }

    func message(_ body: () throws -> Void) -> String { WeightFileEditing.message(body) }

    @Test func presetFolderRoundTripsAndRuns() throws {
        let folder = try tinyFolder()
        #expect(folder.transformerConfig == ModelPreset.tiny.transformer)
        #expect(folder.schedulerConfig == ModelPreset.tiny.scheduler)
        let model = try folder.loadTransformer()
        let checkpoint = try folder.checkpoint()
        let elements = checkpoint.names.reduce(0) { $0 + checkpoint.entry($1)!.shape.reduce(1, *) }
        #expect(model.parameterCount == elements)
        var rng = SeededRandom(seed: 1)
        let out = try model.forward(
            hiddenStates: rng.normalTensor([1, 16, 3, 4, 6]), timestep: Tensor(shape: [1], storage: [500]),
            encoderHiddenStates: rng.normalTensor([1, 5, 64]))
        #expect(out.shape == [1, 16, 3, 4, 6])
        #expect(out.isFinite && out.maxAbs > 0)
        #expect(try folder.info().contains("parameters: \(elements)"))
    }

    @Test func bf16FolderStoresBF16AndLoadsTheRoundedWeights() throws {
        let f32 = try tinyFolder("a"), bf16 = try tinyFolder("b", dtype: .bf16)
        #expect(try bf16.checkpoint().dtypeCounts.keys.elementsEqual([.bf16]))
        let a = try f32.loadTransformer(), b = try bf16.loadTransformer()
        let wa = a.proj_out.weight_T, wb = b.proj_out.weight_T
        for i in 0 ..< wa.count { #expect(wb.storage[i] == HalfPrecision.float(fromBFloat16: HalfPrecision.bfloat16(from: wa.storage[i]))) }
    }

    @Test func missingFolderSaysHowToMakeOne() {
        let text = message { _ = try ModelFolder(path: dir + "/nowhere") }
        #expect(text.contains("nowhere") && text.contains("reel model init"))
    }

    @Test func missingTensorIsNamedWithShapeAndFile() throws {
        let folder = try tinyFolder()
        try rewriteWeights(folder) { $0["blocks.1.attn2.norm_k.weight"] = nil }
        let text = message { _ = try folder.loadTransformer() }
        #expect(text.contains("'blocks.1.attn2.norm_k.weight'") && text.contains("[32]") && text.contains("diffusion_pytorch_model.safetensors"))
    }

    @Test func misShapedTensorGivesBothShapes() throws {
        let folder = try tinyFolder()
        try rewriteWeights(folder) { $0["proj_out.weight"] = Tensor(zeros: [64, 31]) }
        #expect(throws: ModelError.tensorShape(name: "proj_out.weight", expected: [64, 32], actual: [64, 31], file: weightsPath(folder))) {
            try folder.loadTransformer()
        }
    }

    @Test func unexpectedTensorIsReported() throws {
        let folder = try tinyFolder()
        try rewriteWeights(folder) { $0["blocks.0.attn2.add_k_proj.weight"] = Tensor(zeros: [32, 8]) }
        let text = message { _ = try folder.loadTransformer() }
        #expect(text.contains("does not use") && text.contains("blocks.0.attn2.add_k_proj.weight"))
    }

    @Test(arguments: [
        ("image_dim", "1280", "image_dim"), ("added_kv_proj_dim", "5120", "added_kv_proj_dim"),
        ("qk_norm", "\"rms_norm\"", "qk_norm"), ("num_layers", "0", "num_layers"), ("patch_size", "[1, 2]", "patch_size"),
    ])
    func unsupportedConfigOptionIsNamed(key: String, value: String, expectedInMessage: String) throws {
        let folder = try tinyFolder(key)
        let path = folder.transformerDirectory + "/config.json"
        var json = try String(contentsOfFile: path, encoding: .utf8)
        let pattern = try NSRegularExpression(pattern: "\"\(key)\" : [^,\\n]*(\\[[^\\]]*\\])?")
        json = pattern.stringByReplacingMatches(
            in: json, range: NSRange(json.startIndex..., in: json), withTemplate: "\"\(key)\" : \(value)")
        try json.write(toFile: path, atomically: true, encoding: .utf8)
        let text = message { _ = try ModelFolder(path: folder.path) }
        #expect(text.contains(expectedInMessage) && text.contains("config.json"), "\(text)")
    }

    @Test func truncatedWeightsAreAClearError() throws {
        let folder = try tinyFolder()
        let data = try Data(contentsOf: URL(fileURLWithPath: weightsPath(folder)))
        try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: weightsPath(folder)))
        let text = message { _ = try folder.loadTransformer() }
        #expect(text.contains("truncated") && text.contains("diffusion_pytorch_model.safetensors"))
    }

    @Test func wrongInputShapesNameTheTensor() throws {
        let model = try tinyFolder().loadTransformer()
        let text = Tensor(zeros: [1, 5, 64]), t = Tensor(zeros: [1])
        #expect(throws: ModelError.self) {
            try model.forward(hiddenStates: Tensor(zeros: [1, 15, 3, 4, 6]), timestep: t, encoderHiddenStates: text)
        }
        let odd = message { _ = try model.forward(hiddenStates: Tensor(zeros: [1, 16, 3, 5, 6]), timestep: t, encoderHiddenStates: text) }
        #expect(odd.contains("hidden_states") && odd.contains("[16, 3, 5, 6]"))
        let badText = message { _ = try model.forward(hiddenStates: Tensor(zeros: [1, 16, 1, 4, 4]), timestep: t, encoderHiddenStates: Tensor(zeros: [1, 5, 63])) }
        #expect(badText.contains("encoder_hidden_states") && badText.contains("[1, 5, 63]"))
        let badT = message { _ = try model.forward(hiddenStates: Tensor(zeros: [2, 16, 1, 4, 4]), timestep: t, encoderHiddenStates: Tensor(zeros: [2, 5, 64])) }
        #expect(badT.contains("timestep"))
    }

    @Test func wanPublishedUniPCSchedulerIsAdaptedWithANote() throws {
        let folder = try tinyFolder("unipc")
        let json = #"{"_class_name": "UniPCMultistepScheduler", "flow_shift": 5.0, "use_flow_sigmas": true, "num_train_timesteps": 1000, "prediction_type": "flow_prediction"}"#
        try json.write(toFile: folder.schedulerConfigPath, atomically: true, encoding: .utf8)
        let reopened = try ModelFolder(path: folder.path)
        #expect(reopened.schedulerConfig.shift == 5)
        #expect(reopened.notes.count == 1)
    }
}

/// The file-level tools behind `reel model dit` and `reel model sample`.
@Suite struct ModelFolderRunTests {
    let dir = NSTemporaryDirectory() + "reel-run-\(UUID().uuidString)"

    init() throws { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }

    @Test func forwardAndSamplingThroughFilesMatchDiffusers() throws {
        let fixture = FixtureCase.all.first(where: \.hasSampling)!
        let folder = try ModelFolder(path: fixture.modelPath)
        try folder.transformer.runForward(inputs: fixture.file("dit_inputs.safetensors"), output: dir + "/dit.safetensors")
        let sample = try SafeTensorsFile(path: dir + "/dit.safetensors").tensor("sample")
        #expect(relativeMaxdiff("file forward", sample, try fixture.tensor("dit_outputs.safetensors", "sample")) <= 2e-5)

        let settings = try fixture.settings()
        try folder.runSampler(
            inputs: fixture.file("sample_inputs.safetensors"), output: dir + "/latents.safetensors",
            steps: settings.steps!, guidance: settings.guidance ?? 1, shift: settings.shift)
        let latents = try SafeTensorsFile(path: dir + "/latents.safetensors").tensor("latents")
        #expect(relativeMaxdiff("file sampling", latents, try fixture.tensor("sample_outputs.safetensors", "latents")) <= 2e-5)
    }

    /// A folder with only `transformer/` (as many checkpoints are shared) runs a
    /// forward that matches diffusers; sampling still asks for the scheduler config.
    @Test func forwardNeedsOnlyTheTransformerFolder() throws {
        let fixture = FixtureCase.all[0]
        let bare = dir + "/transformer-only"
        try FileManager.default.createDirectory(atPath: bare, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(
            atPath: bare + "/transformer", withDestinationPath: fixture.modelPath + "/transformer")
        try TransformerFolder(path: bare).runForward(inputs: fixture.file("dit_inputs.safetensors"), output: dir + "/bare.safetensors")
        let sample = try SafeTensorsFile(path: dir + "/bare.safetensors").tensor("sample")
        #expect(relativeMaxdiff("transformer-only forward", sample, try fixture.tensor("dit_outputs.safetensors", "sample")) <= 2e-5)

        let text = WeightFileEditing.message { _ = try ModelFolder(path: bare) }
        #expect(text.contains("scheduler/scheduler_config.json"), "\(text)")
    }

    @Test func missingInputTensorIsNamedWithTheFile() throws {
        let fixture = FixtureCase.all[0]
        let inputs = dir + "/partial.safetensors"
        let original = try SafeTensorsFile(path: fixture.file("dit_inputs.safetensors"))
        try SafeTensorsWriter.write([.init("hidden_states", try original.tensor("hidden_states"))], to: inputs)
        do {
            try TransformerFolder(path: fixture.modelPath).runForward(inputs: inputs, output: dir + "/out.safetensors")
            Issue.record("accepted inputs without a timestep")
        } catch {
            #expect("\(error)".contains("'timestep'") && "\(error)".contains(inputs), "\(error)")
        }
        #expect(!FileManager.default.fileExists(atPath: dir + "/out.safetensors"))
    }

    @Test func unwritableOutputFailsBeforeReadingInputs() throws {
        let fixture = FixtureCase.all[0]
        // The inputs path does not exist either: the output check must come first.
        do {
            try TransformerFolder(path: fixture.modelPath).runForward(inputs: dir + "/absent.safetensors", output: dir + "/no/such/dir/out.safetensors")
            Issue.record("accepted an output in a missing folder")
        } catch {
            #expect("\(error)".contains("does not exist") && "\(error)".contains("no/such/dir"), "\(error)")
        }
    }
}
