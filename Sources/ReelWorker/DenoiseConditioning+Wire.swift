import ReelPlan
import ReelTensor
import ReelWire

extension DenoiseConditioning {
    /// The conditioning a shard assignment carries (`ShardAssignment.conditioning`),
    /// checked: every item's box lies in the same latent as the shard's, with the
    /// same channels, and its known latents fill it.
    init(assignment a: Reel_V1_ShardAssignment, message: WireMessage) throws(WorkerError) {
        let region = try InitialNoise(seed: a.seed, box: a.box)
        var items: [Item] = []
        for (n, wire) in a.conditioning.enumerated() {
            let item = try InitialNoise(seed: a.seed, box: wire.box)
            guard item.noise.shape == region.noise.shape else {
                throw WorkerError(
                    .invalidInput,
                    "conditioning[\(n)]: box \(InitialNoise.describe(wire.box)) is not on the shard's latent \(InitialNoise.describe(a.box))")
            }
            let shape = [item.box.channels, item.box.frames.length, item.box.rows.length, item.box.columns.length]
            guard let known = message.tensor(for: wire.known), known.shape == shape else {
                throw WorkerError(.invalidInput, "conditioning[\(n)]: the known latents are missing or not \(shape)")
            }
            items.append(Item(box: item.box, mode: wire.edit ? .start : .pin, known: known.values))
        }
        self.init(noise: region.noise, box: region.box, items: items)
    }
}
