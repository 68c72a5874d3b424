import ReelPlan
import ReelTensor

extension ShardExecutor {
    /// ``encodeSource(model:frames:)`` in `form` (``SourceForm``). First form is that
    /// encoding. Later form feeds the encoder the source's first frame `1 + stride`
    /// times, then its other frames (s0, s0 ×stride, s1, …, s(n−1): still `stride·k + 1`
    /// frames), and drops latent frame 0 of the result: the source's latent frame 0 then
    /// stands for `stride` frames of s0, as the causal decoder reads every latent frame
    /// but the first of a clip decoded start to end. The latent frame count is the
    /// first form's. The lead-in is built here, before the executor, so the real VAE
    /// and the stand-in see the same frame order.
    public func encodeSource(
        model: String, form: SourceForm, frames produce: (_ feed: (Tensor) throws(WorkerError) -> Void) throws(WorkerError) -> Void
    ) throws(WorkerError) -> Tensor {
        guard form == .later else { return try encodeSource(model: model, frames: produce) }
        guard let stride = try models().first(where: { $0.name == model })?.temporalStride else {
            throw WorkerError(.modelNotFound, "model '\(model)' is not among this worker's models")
        }
        // `produce` is called inside the encoder's own producer, with a closure that
        // calls the encoder's `feed`: both are non-escaping, which Swift's exclusivity
        // rules refuse without this (neither outlives the call).
        let latents = try withoutActuallyEscaping(produce) { (produce) throws(WorkerError) -> Tensor in
            try encodeSource(model: model) { feed throws(WorkerError) in
                var leadIn = true
                try produce { batch throws(WorkerError) in
                    guard leadIn, batch.rank == 4, batch.shape[1] >= 1 else { return try feed(batch) }
                    leadIn = false
                    let first = try SourceBatches.frames(0 ..< 1, of: batch)
                    try feed(try SourceBatches.join(Array(repeating: first, count: 1 + stride)))
                    if batch.shape[1] > 1 { try feed(try SourceBatches.frames(1 ..< batch.shape[1], of: batch)) }
                }
            }
        }
        guard latents.rank == 4, latents.shape[1] >= 2 else {
            throw WorkerError(.internalError, "a later-form encoding of model '\(model)' has latents of shape \(latents.shape)")
        }
        return try SourceBatches.frames(1 ..< latents.shape[1], of: latents)
    }
}
