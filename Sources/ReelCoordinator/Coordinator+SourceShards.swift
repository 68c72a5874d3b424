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
            let (box, values) = try readSlice(item.latentsSHA, of: item.box, to: region, blobs: blobs)
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
        guard let (box, runs) = cut(item, to: region) else { return (item, values) }
        var out: [Float] = []
        out.reserveCapacity(box.count)
        for run in runs { out += values[run] }
        return (box, out)
    }

    /// ``slice(_:of:to:)`` read from blob `sha` in place: a minute-long edit's
    /// latents are 96 MB at 832×480 and each window needs 21 of their 241 latent
    /// frames, so reading the whole blob into memory for every shard cost the inputs
    /// lane that memory and that copy per shard (a coordinator peak of 496 MiB). The
    /// blob is mapped (its hash checked the first time this process reads it, so a
    /// blob corrupted on disk, perhaps cached by an earlier coordinator, is refused)
    /// and only the runs of the cut are copied out.
    static func readSlice(_ sha: String, of item: LatentBox, to region: LatentBox, blobs: BlobStore) throws -> (LatentBox, [Float]) {
        let mapped = try blobs.map(sha)
        return try withExtendedLifetime(mapped) {
            let floats = mapped.floats
            guard floats.count == item.count else {
                throw StoreError.blobCorrupt(
                    path: sha, expected: "\(item.count) float32 values (the item's box \(item))", actual: "\(floats.count)")
            }
            guard let (box, runs) = cut(item, to: region) else { return (item, Array(floats)) }
            var out: [Float] = []
            out.reserveCapacity(box.count)
            for run in runs { out += floats[run] }
            return (box, out)
        }
    }

    /// The box of `item`'s part inside `region` and the runs of the item's value
    /// indices that make it up, in order, adjacent runs merged (one per channel when
    /// the cut keeps whole frames); nil when the whole item is kept (a wrapping box,
    /// no overlap, or the item inside the region).
    static func cut(_ item: LatentBox, to region: LatentBox) -> (box: LatentBox, runs: [Range<Int>])? {
        let axes = [(item.frames, region.frames), (item.rows, region.rows), (item.columns, region.columns)]
        guard !axes.contains(where: { $0.0.wraps || $0.1.wraps }) else { return nil }
        let spans = axes.map { a, b -> Span? in
            let (low, high) = (max(a.start, b.start), min(a.end, b.end))
            return low < high ? Span(start: low, length: high - low, axisLength: a.axisLength, isCyclic: a.isCyclic) : nil
        }
        guard let frames = spans[0], let rows = spans[1], let columns = spans[2] else { return nil }
        let box = LatentBox(frames: frames, rows: rows, columns: columns, channels: item.channels)
        guard box != item else { return nil }
        var runs: [Range<Int>] = []
        let (t0, y0, x0) = (frames.start - item.frames.start, rows.start - item.rows.start, columns.start - item.columns.start)
        for c in 0 ..< item.channels {
            for t in 0 ..< frames.length {
                for y in 0 ..< rows.length {
                    let start = item.localIndex(channel: c, frame: t0 + t, row: y0 + y, column: x0)
                    if let last = runs.last, last.upperBound == start {
                        runs[runs.count - 1] = last.lowerBound ..< start + columns.length
                    } else {
                        runs.append(start ..< start + columns.length)
                    }
                }
            }
        }
        return (box, runs)
    }
}
