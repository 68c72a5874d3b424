import ReelPlan
import ReelTensor

/// What a worker runs: the real engine (``ModelExecutor``) or the farm
/// benchmark's stand-in (``SimulatedExecutor``). Called from the worker's slot
/// threads, several at once when it takes more than one shard.
public protocol ShardExecutor: Sendable {
    /// The models this worker offers, with the geometry the coordinator plans by.
    func models() throws(WorkerError) -> [ModelGeometry]
    /// Runs one step block; returns the region's latents at the block's end.
    func denoise(_ task: DenoiseTask) throws(WorkerError) -> Tensor
    /// Warm-up latent frames a decode chunk of `model` needs to match the sequential decode.
    func decodeWarmup(model: String) -> Int
    /// What identifies `model`'s weights and configs (the same on every worker that
    /// holds the same checkpoint); empty if it cannot be told.
    func digest(model: String) -> String
    /// Decodes one chunk, handing its pixel frames `(3, n, H, W)` in [−1, 1] to
    /// `emit` as the decoder produces them (a long chunk is never whole in memory).
    func decode(_ task: DecodeTask, emit: (Tensor) throws(WorkerError) -> Void) throws(WorkerError)
    /// Whether `model`'s folder has a real text encoder (`tokenizer/`, `text_encoder/`).
    func hasTextEncoder(model: String) -> Bool
    /// Whether that encoder is in memory already (loading it takes long).
    func textEncoderLoaded(model: String) -> Bool
    /// Encodes a job's prompts as WanPipeline.encode_prompt does.
    func encodePrompt(_ task: PromptTask) throws(WorkerError) -> EncodedPrompts
    /// Encodes conformed conditioning frames `(3, n, H, W)` in [−1, 1] with `model`'s
    /// VAE: the normalized latents `(C, 1 + (n − 1)/stride, H/s, W/s)` the transformer sees.
    func encodeSource(_ frames: Tensor, model: String) throws(WorkerError) -> Tensor
    /// The same encoding of frames that arrive a few at a time: `produce` is called once
    /// and hands every `(3, n, H, W)` batch, in order, to the closure it is given; the
    /// result equals ``encodeSource(_:model:)`` of the frames joined. An error thrown by
    /// `produce` ends the encoding and is rethrown.
    func encodeSource(
        model: String, frames produce: (_ feed: (Tensor) throws(WorkerError) -> Void) throws(WorkerError) -> Void
    ) throws(WorkerError) -> Tensor
}

extension ShardExecutor {
    /// Executors that cannot tell their weights apart say nothing.
    public func digest(model: String) -> String { "" }
    /// Executors without text encoders (the farm benchmark's) never encode prompts.
    public func hasTextEncoder(model: String) -> Bool { false }
    public func textEncoderLoaded(model: String) -> Bool { false }
    public func encodePrompt(_ task: PromptTask) throws(WorkerError) -> EncodedPrompts {
        throw WorkerError(.modelNotFound, "this worker has no text encoder for model '\(task.model)'")
    }
    /// Executors without a VAE encoder (the farm benchmark's) never encode sources.
    public func encodeSource(_ frames: Tensor, model: String) throws(WorkerError) -> Tensor {
        throw WorkerError(.modelNotFound, "this worker has no VAE encoder for model '\(model)'")
    }
    /// Executors that encode whole clips only (the farm benchmark's) collect the
    /// batches and encode them joined.
    public func encodeSource(
        model: String, frames produce: (_ feed: (Tensor) throws(WorkerError) -> Void) throws(WorkerError) -> Void
    ) throws(WorkerError) -> Tensor {
        var batches = [Tensor]()
        try produce { batch throws(WorkerError) in batches.append(batch) }
        return try encodeSource(try SourceBatches.join(batches), model: model)
    }
}
