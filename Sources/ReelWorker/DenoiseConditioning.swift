import ReelPlan
import ReelTensor

/// The conditioning one shard applies (issue 16): the known latents of the items
/// whose boxes meet the shard's region (``ConditioningPlan/items(for:)``), written
/// into the window's latents inside the denoise loop.
///
/// - Pins: before the model runs at every step i, the known latents re-noised to
///   `σ[i]` with the job's own noise at those positions; and after the block's last
///   step at `σ[end]` (0 at the schedule's end, so the output there is the known
///   latents exactly). The overlap blending then carries what is pinned into the
///   neighbouring windows.
/// - Edits (`start`): once, before the block's first step, the known latents noised
///   to `σ[first]`: the block starts there (the plan skips the earlier steps,
///   ``StepSchedule/firstStep(strength:steps:)``).
public struct DenoiseConditioning: Sendable {
    /// One item's positions on the clip's latent, its mode, and its encoded source
    /// over those positions, `[C, t, y, x]`.
    public struct Item: Sendable {
        public var box: LatentBox
        public var mode: ConditioningMode
        public var known: [Float]

        public init(box: LatentBox, mode: ConditioningMode, known: [Float]) {
            self.box = box
            self.mode = mode
            self.known = known
        }

        /// A planned item (``ConditioningPlan/items``) with its source's latents.
        public init(resolved: ResolvedConditioning, known: [Float]) {
            self.init(box: resolved.box, mode: resolved.item.mode, known: known)
        }
    }

    /// The job's noise (the same ε the initial latents were drawn from).
    public var noise: LatentNoise
    /// The shard's region on the clip's latent.
    public var box: LatentBox
    public var items: [Item]

    public init(noise: LatentNoise, box: LatentBox, items: [Item]) {
        self.noise = noise
        self.box = box
        self.items = items
    }

    /// Writes what step `index` needs into `latents` (over ``box``): pins at every
    /// index, edits only at `first` (the block's first step).
    public func apply(index: Int, first: Int, sigmas: [Float], to latents: inout [Float]) {
        let sigma = sigmas[index]
        for item in items where item.mode == .pin || index == first {
            item.box.writeNoised(known: item.known, sigma: sigma, into: &latents, box: box) {
                noise.value(channel: $0, frame: $1, row: $2, column: $3)
            }
        }
    }

    /// The sampler's hook for `task`, after checking that every size agrees (the
    /// writes trap on a mismatch, and the sizes come from the wire).
    func stepHook(for task: DenoiseTask, sigmas: [Float]) throws(WorkerError) -> (Int, inout Tensor) -> Void {
        let shape = [box.channels, box.frames.length, box.rows.length, box.columns.length]
        guard task.latents.shape == shape else {
            throw WorkerError(.invalidInput, "conditioning: the latents have shape \(task.latents.shape), the region's box \(shape)")
        }
        for (n, item) in items.enumerated() where item.known.count != item.box.count || item.box.channels != box.channels {
            throw WorkerError(
                .invalidInput,
                "conditioning item \(n): \(item.known.count) known latents for a box of \(item.box.count) (\(item.box.channels) channels; the region has \(box.channels))")
        }
        guard sigmas.count > task.steps.upperBound else {
            throw WorkerError(.invalidInput, "conditioning: \(sigmas.count) noise levels for steps \(task.steps)")
        }
        let first = task.steps.lowerBound
        return { index, latents in apply(index: index, first: first, sigmas: sigmas, to: &latents.storage) }
    }
}
