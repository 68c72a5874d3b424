import Foundation
import ReelModel
import ReelPlan
import ReelTensor

/// The real engine: model folders in diffusers layout under one directory, each
/// named by its folder, loaded on first use and kept (loading a checkpoint costs
/// far more than a step block).
public final class ModelExecutor: ShardExecutor, @unchecked Sendable {
    /// The directory holding one folder per model.
    public let directory: String
    /// Guards the caches; model runs happen outside it.
    private let lock = NSLock()
    private var transformers: [String: WanTransformer3DModel] = [:]
    private var vaes: [String: WanVAE] = [:]
    private var folders: [String: ModelFolder] = [:]
    private var contexts: [String: WanTransformer3DModel.TextContext] = [:]
    private var digests: [String: String] = [:]
    private var contextOrder: [String] = []
    /// Prompts a worker keeps prepared; a farm runs few prompts at a time.
    private let contextCapacity = 8
    /// umT5 text encoders, loaded on a model's first prompt (``encodePrompt(_:)``).
    let promptEncoders = PromptEncoders()

    public init(directory: String) {
        self.directory = directory
    }

    /// What the caches hold now (for the worker's `/metrics`).
    public var cacheCensus: [(cache: String, entries: Int)] {
        lock.withLock { [("transformer", transformers.count), ("vae", vaes.count), ("text_context", contexts.count)] }
    }

    public func models() throws(WorkerError) -> [ModelGeometry] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory).sorted() else {
            throw WorkerError(.modelNotFound, "cannot list the models directory '\(directory)'")
        }
        var models: [ModelGeometry] = []
        for name in names {
            let path = (directory as NSString).appendingPathComponent(name)
            guard FileManager.default.fileExists(atPath: (path as NSString).appendingPathComponent("transformer/config.json")) else {
                continue
            }
            models.append(try geometry(try folder(name)))
        }
        return models
    }

    public func denoise(_ task: DenoiseTask) throws(WorkerError) -> Tensor {
        let model = try transformer(task.model)
        let c = model.config
        let x = task.latents
        guard x.rank == 4, x.shape[0] == c.in_channels else {
            throw WorkerError(.invalidInput, "latents have shape \(x.shape); model '\(task.model)' expects (\(c.in_channels), t, h, w)")
        }
        guard x.shape[1] % c.patch_size[0] == 0, x.shape[2] % c.patch_size[1] == 0, x.shape[3] % c.patch_size[2] == 0 else {
            throw WorkerError(.invalidInput, "latents \(x.shape) are not whole patches of \(c.patch_size)")
        }
        guard x.isFinite else { throw WorkerError(.invalidInput, "the input latents contain NaN or Inf") }
        var config = try folder(task.model).schedulerConfig
        if let shift = task.shift { config.shift = shift }
        do {
            let scheduler = try FlowMatchEulerDiscreteScheduler(config: config, steps: task.totalSteps)
            let sampler = FlowMatchSampler(model: model, scheduler: scheduler, guidance: task.guidance)
            let positive = try context(task.prompt, model: model, name: task.model)
            let negative = try task.negativePrompt.map { n throws(WorkerError) in try context(n, model: model, name: task.model) }
            let pinning = try task.conditioning.map { c throws(WorkerError) in try c.stepHook(for: task, sigmas: scheduler.sigmas) }
            let out = try sampler.run(
                latents: x, steps: task.steps, positive: positive, negative: negative, isCancelled: task.isCancelled,
                beforeStep: pinning)
            guard out.isFinite else { throw WorkerError(.nonFiniteOutput, "the block's output latents contain NaN or Inf") }
            return out
        } catch let error as WorkerError {
            throw error
        } catch let error as ModelError {
            if case .inputShape(let name, _, _) = error, name.hasPrefix("velocity") {
                throw WorkerError(.nonFiniteOutput, error.description)
            }
            throw WorkerError(error)
        } catch {
            throw WorkerError(.internalError, "\(error)")
        }
    }

    /// The folder's ``ModelDigest``, computed once (it reads every weight file).
    public func digest(model: String) -> String {
        (try? cached(\.digests, model) { () throws(WorkerError) in
            let folder = try folder(model)
            do { return try ModelDigest.of(folder: folder.path) } catch let error as WorkerError { throw error } catch {
                throw WorkerError(.modelNotFound, "\(error)")
            }
        }) ?? ""
    }

    /// The VAE decoder's receptive field, read from its config (no weights loaded).
    public func decodeWarmup(model: String) -> Int {
        (try? vaeConfig(try folder(model)))?.decoderReceptiveField ?? 0
    }

    public func decode(_ task: DecodeTask, emit: (Tensor) throws(WorkerError) -> Void) throws(WorkerError) {
        let vae = try self.vae(task.model)
        var latents = task.latents
        guard latents.rank == 4, latents.shape[0] == vae.config.z_dim, latents.shape[1] > task.warmup else {
            throw WorkerError(
                .invalidInput,
                "decode latents have shape \(latents.shape); model '\(task.model)' decodes (\(vae.config.z_dim), warm-up \(task.warmup) + n, h, w)")
        }
        do {
            if task.normalize { latents = try LatentNormalization(config: vae.config).denormalize(latents) }
            try vae.decodeStream(latents, frames: task.warmup ..< latents.shape[1], warmup: task.warmup, laterStart: task.laterStart) { batch in
                guard batch.isFinite else { throw WorkerError(.nonFiniteOutput, "decoded frames contain NaN or Inf") }
                try emit(batch)
            }
        } catch let error as WorkerError {
            throw error
        } catch let error as ModelError {
            throw WorkerError(error)
        } catch {
            throw WorkerError(.internalError, "\(error)")
        }
    }

    // MARK: caches

    private func folder(_ name: String) throws(WorkerError) -> ModelFolder {
        guard !name.isEmpty, !name.contains("/"), name != ".", name != ".." else {
            throw WorkerError(.modelNotFound, "'\(name)' is not a model folder name")
        }
        return try cached(\.folders, name) { () throws(WorkerError) in
            do throws(ModelError) {
                return try ModelFolder(path: (directory as NSString).appendingPathComponent(name))
            } catch {
                throw WorkerError(.modelNotFound, "model '\(name)' in \(directory): \(error.description)")
            }
        }
    }

    /// `cache[key]`, made (outside the lock: loading takes long) and kept on first use.
    private func cached<Value>(
        _ cache: ReferenceWritableKeyPath<ModelExecutor, [String: Value]>, _ key: String,
        make: () throws(WorkerError) -> Value
    ) throws(WorkerError) -> Value {
        if let value = lock.withLock({ self[keyPath: cache][key] }) { return value }
        let value = try make()
        lock.withLock { self[keyPath: cache][key] = value }
        return value
    }

    private func transformer(_ name: String) throws(WorkerError) -> WanTransformer3DModel {
        try cached(\.transformers, name) { () throws(WorkerError) in
            let folder = try folder(name)
            do throws(ModelError) { return try folder.loadTransformer() } catch { throw WorkerError(error) }
        }
    }

    func vae(_ name: String) throws(WorkerError) -> WanVAE {
        try cached(\.vaes, name) { () throws(WorkerError) in
            let folder = try folder(name)
            guard folder.hasVAE else { throw WorkerError(.modelNotFound, "model '\(name)' has no vae/ folder to decode with") }
            do throws(ModelError) { return try WanVAE(folder: URL(fileURLWithPath: folder.path)) } catch { throw WorkerError(error) }
        }
    }

    private func context(
        _ embeddings: DenoiseTask.Embeddings, model: WanTransformer3DModel, name: String
    ) throws(WorkerError) -> WanTransformer3DModel.TextContext {
        let key = name + "/" + embeddings.id
        lock.lock()
        let cached = contexts[key]
        lock.unlock()
        if let cached { return cached }
        let t = embeddings.tensor
        guard t.rank == 2, t.shape[1] == model.config.text_dim else {
            throw WorkerError(.invalidInput, "prompt embeddings have shape \(t.shape); model '\(name)' expects (L, \(model.config.text_dim))")
        }
        let context: WanTransformer3DModel.TextContext
        do { context = try model.context(t) } catch { throw WorkerError(error) }
        lock.lock()
        contexts[key] = context
        contextOrder.append(key)
        if contextOrder.count > contextCapacity { contexts[contextOrder.removeFirst()] = nil }
        lock.unlock()
        return context
    }

    /// The folder's `vae/config.json`, if it has a VAE.
    private func vaeConfig(_ folder: ModelFolder) throws(WorkerError) -> WanVAEConfig? {
        guard folder.hasVAE else { return nil }
        do { return try WanVAEConfig.load(path: (folder.vaeDirectory as NSString).appendingPathComponent("config.json")) } catch {
            throw WorkerError(error)
        }
    }

    /// What the coordinator needs to plan jobs for a folder: the transformer's
    /// patches and widths, and the VAE's strides (Wan 2.1's without a `vae/`).
    private func geometry(_ folder: ModelFolder) throws(WorkerError) -> ModelGeometry {
        let c = folder.transformerConfig
        let wan = ModelGeometry.wan21_1_3B
        var strides = (wan.temporalStride, wan.spatialStride)
        if let vae = try vaeConfig(folder) { strides = (vae.temporalStride, vae.spatialStride) }
        return ModelGeometry(
            name: (folder.path as NSString).lastPathComponent, latentChannels: c.in_channels,
            temporalStride: strides.0, spatialStride: strides.1,
            patch: PatchSize(frames: c.patch_size[0], height: c.patch_size[1], width: c.patch_size[2]),
            layers: c.num_layers, width: c.num_attention_heads * c.attention_head_dim, ffnWidth: c.ffn_dim,
            heads: c.num_attention_heads, textTokens: wan.textTokens, textDim: c.text_dim,
            firstLatentForm: folder.reel.firstLatentIsLater ? .later : nil)
    }
}
