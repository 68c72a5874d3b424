import Foundation
import ReelPlan
import ReelStore
import ReelWire

extension Coordinator {
    /// `ShardAssignment.conditioning` and its tensors: each item's box on the
    /// clip's latent and its encoded latents, read from the blob store (on the
    /// `inputs` lane). The whole item travels; the worker writes the part of it
    /// that lies in the shard's region.
    static func conditioningLatents(
        _ conditioning: ShardConditioning, latent: LatentShape, blobs: BlobStore
    ) throws -> (items: [Reel_V1_ConditioningLatents], tensors: [WireTensor]) {
        var items: [Reel_V1_ConditioningLatents] = []
        var tensors: [WireTensor] = []
        for (n, item) in conditioning.items.enumerated() {
            let values = try blobs.getFloats(item.latentsSHA)
            let box = item.box
            let name = "conditioning_\(n)"
            tensors.append(
                try WireTensor(name: name, shape: [box.channels, box.frames.length, box.rows.length, box.columns.length], values: values))
            var wire = Reel_V1_ConditioningLatents()
            wire.box = wireBox(box, latent: latent)
            wire.edit = item.edit
            var header = Reel_V1_TensorHeader()
            header.name = name
            wire.known = header
            items.append(wire)
        }
        return (items, tensors)
    }
}
