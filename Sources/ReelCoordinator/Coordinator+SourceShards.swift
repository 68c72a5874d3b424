import Foundation
import ReelPlan
import ReelStore
import ReelWire

extension Coordinator {
    /// `ShardAssignment.conditioning` and its tensors: each item's latents, read
    /// from the blob store (on the `inputs` lane), cut to the part whose box lies
    /// in the shard's `region` (``slice(_:of:to:)``), so a whole-clip edit sends each
    /// window only its own frames.
    static func conditioningLatents(
        _ conditioning: ShardConditioning, region: LatentBox, latent: LatentShape, blobs: BlobStore
    ) throws -> (items: [Reel_V1_ConditioningLatents], tensors: [WireTensor]) {
        var items: [Reel_V1_ConditioningLatents] = []
        var tensors: [WireTensor] = []
        for (n, item) in conditioning.items.enumerated() {
            let (box, values) = slice(try blobs.getFloats(item.latentsSHA), of: item.box, to: region)
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

    /// The part of `values` (over `item`, `[C, t, y, x]`) inside `region`: its box
    /// and values. Where either box wraps around a cyclic axis (a loop's wrapping
    /// window) the whole item is kept: the worker writes only what lies in its region.
    static func slice(_ values: [Float], of item: LatentBox, to region: LatentBox) -> (LatentBox, [Float]) {
        let axes = [(item.frames, region.frames), (item.rows, region.rows), (item.columns, region.columns)]
        guard !axes.contains(where: { $0.0.wraps || $0.1.wraps }) else { return (item, values) }
        let cut = axes.map { a, b -> Span? in
            let (low, high) = (max(a.start, b.start), min(a.end, b.end))
            return low < high ? Span(start: low, length: high - low, axisLength: a.axisLength, isCyclic: a.isCyclic) : nil
        }
        guard let frames = cut[0], let rows = cut[1], let columns = cut[2] else { return (item, values) }
        let box = LatentBox(frames: frames, rows: rows, columns: columns, channels: item.channels)
        guard box != item else { return (item, values) }
        var out: [Float] = []
        out.reserveCapacity(box.count)
        let (t0, y0, x0) = (frames.start - item.frames.start, rows.start - item.rows.start, columns.start - item.columns.start)
        for c in 0 ..< item.channels {
            for t in 0 ..< frames.length {
                for y in 0 ..< rows.length {
                    let start = item.localIndex(channel: c, frame: t0 + t, row: y0 + y, column: x0)
                    out += values[start ..< start + columns.length]
                }
            }
        }
        return (box, out)
    }
}
