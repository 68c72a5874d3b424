/// Which shards of a ``Plan`` see which conditioning items, and where an SDEdit
/// starts in the schedule. A pure value built from the plan and the request's items,
/// like the plan itself: the coordinator rebuilds it from the stored job at any time.
///
/// Rules (each refused with a ``ConditioningError`` naming the item):
/// - an item sits at a latent frame (a pixel frame maps through the VAE's causal
///   stride: pixel 0 ↔ latent 0, then `stride` pixel frames per latent frame, so only
///   multiples of the stride start a latent frame) and covers the latent frames its
///   source encodes to (1 for an image, `(n − 1)/stride + 1` for n video frames),
///   all inside the clip;
/// - pins never overlap each other, nor an edit (a position has one source, kept or edited);
/// - an edit (`start`) covers the whole clip and frame, and all edits share one
///   strength, which fixes the first step (``StepSchedule/firstStep(strength:steps:)``).
public struct ConditioningPlan: Hashable, Sendable {
    /// Items a job may carry: each is a separately encoded source and a per-step write
    /// in every window it touches.
    public static let maxItems = 16

    /// The items, in canonical order (``JobRequest/canonicalConditioning(temporalStride:)``).
    public let items: [ResolvedConditioning]
    /// `regionItems[r]`: indices into ``items`` whose boxes overlap region r, ascending.
    public let regionItems: [[Int]]
    /// The first sampling step any shard runs: 0, or an edit's first step.
    public let firstStep: Int
    /// The block holding ``firstStep``; earlier blocks have no work.
    public let firstBlock: Int
    /// The block boundaries of the plan (kept to answer shard queries).
    private let blocks: [StepBlock]

    /// Validates `items` (in the request's order, numbered from 1 in errors) against
    /// the plan and places them.
    public init(plan: Plan, items requested: [ConditioningItem]) throws(ConditioningError) {
        let latent = plan.latent
        guard requested.count <= Self.maxItems else { throw .tooMany(count: requested.count, limit: Self.maxItems) }
        var placed: [(number: Int, resolved: ResolvedConditioning)] = []
        for (offset, item) in requested.enumerated() {
            placed.append((offset + 1, try Self.resolve(item, number: offset + 1, plan: plan)))
        }
        // Edits: whole clip, one strength.
        let edits = placed.filter { $0.resolved.item.mode == .start }
        for edit in edits {
            let box = edit.resolved.box
            guard edit.resolved.item.box == nil, box.frames.start == 0, box.frames.length == latent.frames else {
                throw .editNotWholeClip(
                    item: edit.number, latentStart: box.frames.start, latentLength: box.frames.length,
                    clipLatentFrames: latent.frames)
            }
            if let first = edits.first, first.resolved.item.strength != edit.resolved.item.strength {
                throw .mixedStrengths(first: first.number, second: edit.number)
            }
        }
        // Pins: no overlaps with each other or with an edit. Identical items are one item.
        let pins = placed.filter { $0.resolved.item.mode == .pin }
        for (i, a) in pins.enumerated() {
            for b in pins[(i + 1)...] where a.resolved != b.resolved && a.resolved.box.overlaps(b.resolved.box) {
                throw .overlappingPins(
                    first: a.number, second: b.number, firstDigest: a.resolved.item.source.digest,
                    secondDigest: b.resolved.item.source.digest)
            }
            if let edit = edits.first(where: { $0.resolved.box.overlaps(a.resolved.box) }) {
                throw .pinOverlapsEdit(pin: a.number, edit: edit.number)
            }
        }
        try Self.checkJoins(placed, plan: plan)
        var unique: [ResolvedConditioning] = []
        for r in placed.map(\.resolved).sorted(by: { ConditioningItem.precedes($0.item, $1.item) }) where unique.last != r {
            unique.append(r)
        }
        items = unique
        regionItems = plan.regions.map { region in unique.indices.filter { unique[$0].box.overlaps(region.box) } }
        blocks = plan.blocks
        let first = edits.first?.resolved.item.strength.map {
            StepSchedule.firstStep(strength: $0, steps: plan.schedule.steps)
        } ?? 0
        firstStep = first
        firstBlock = plan.blocks.firstIndex { $0.end > first } ?? 0
    }

    /// Whether the job has no conditioning (plain text-to-video).
    public var isEmpty: Bool { items.isEmpty }

    /// Whether shard `shard` has no steps to run: its block ends before the edit's first step.
    public func isSkipped(_ shard: ShardID) -> Bool { shard.block < firstBlock }

    /// The steps shard `shard` runs: its block's steps from ``firstStep`` on.
    public func steps(of shard: ShardID) -> Range<Int> {
        let block = blocks[shard.block]
        return max(block.start, firstStep)..<max(block.end, firstStep)
    }

    /// Indices into ``items`` that shard `shard` applies: pins in every block it runs
    /// (re-noised to each step's σ and written before the model runs), and an edit only
    /// in ``firstBlock``, whose shards start from the source noised to `σ[firstStep]`.
    public func items(for shard: ShardID) -> [Int] {
        guard !isSkipped(shard) else { return [] }
        return regionItems[shard.region].filter { items[$0].item.mode == .pin || shard.block == firstBlock }
    }

    /// The shards that apply item `index`, block-major.
    public func shards(seeing index: Int) -> [ShardID] {
        var result: [ShardID] = []
        for block in firstBlock..<blocks.count {
            for (region, list) in regionItems.enumerated() where list.contains(index) {
                let shard = ShardID(region: region, block: block)
                if items(for: shard).contains(index) { result.append(shard) }
            }
        }
        return result
    }

    /// Validates one item and places it on the latent.
    private static func resolve(_ item: ConditioningItem, number: Int, plan: Plan) throws(ConditioningError) -> ResolvedConditioning {
        let model = plan.geometry.model, job = plan.geometry.job, latent = plan.latent
        let stride = model.temporalStride, spatial = model.spatialStride
        guard ConditioningSource.isDigest(item.source.digest) else {
            throw .badDigest(item: number, digest: item.source.digest)
        }
        let start: Int
        switch (item.frame, item.latentFrame) {
        case (let f?, nil):
            guard f >= 0, f % stride == 0 else {
                let below = max(f, 0) / stride * stride
                let above = below.addingReportingOverflow(stride)
                let nearest = f < 0 ? [0] : [below] + (above.overflow ? [] : [above.partialValue])
                throw .frameNotOnLatentBoundary(item: number, frame: f, stride: stride, nearest: nearest)
            }
            start = f / stride
        case (nil, let l?): start = l
        default: throw .placement(item: number)
        }
        let source = item.source
        switch source.kind {
        case .image:
            guard source.firstFrame == nil, source.frameCount == nil || source.frameCount == 1 else {
                throw .badFrameRange(item: number, firstFrame: source.firstFrame, frameCount: source.frameCount, stride: stride, nearest: [])
            }
        case .video:
            let count = source.frameCount ?? 0
            guard (source.firstFrame ?? 0) >= 0, count >= 1, (count - 1) % stride == 0 else {
                throw .badFrameRange(
                    item: number, firstFrame: source.firstFrame, frameCount: source.frameCount, stride: stride,
                    // Capped: a count near Int.max (from a submitted job) must not overflow the rounding.
                    nearest: JobSpec.nearestValidFrameCounts(to: min(max(count, 1), 1 << 32), temporalStride: stride))
            }
        }
        let length = (source.pixelFrames - 1) / stride + 1
        guard start >= 0, length <= latent.frames, start <= latent.frames - length else {
            throw .outsideClip(item: number, latentStart: start, latentLength: length, clipLatentFrames: latent.frames, stride: stride)
        }
        switch item.mode {
        case .pin:
            if let s = item.strength { throw .strengthOnPin(item: number, value: s) }
        case .start:
            guard let s = item.strength, s > 0, s <= 1 else { throw .strengthOutOfRange(item: number, value: item.strength) }
        }
        var rows = Span.whole(latent.height), columns = Span.whole(latent.width)
        if let box = item.box {
            let values = [box.x, box.y, box.width, box.height]
            guard values.allSatisfy({ $0 >= 0 && $0 % spatial == 0 }), box.width > 0, box.height > 0,
                box.x <= job.width - box.width, box.y <= job.height - box.height
            else { throw .badBox(item: number, box: box, spatialStride: spatial, width: job.width, height: job.height) }
            rows = Span(start: box.y / spatial, length: box.height / spatial, axisLength: latent.height)
            columns = Span(start: box.x / spatial, length: box.width / spatial, axisLength: latent.width)
        }
        let frames = Span(start: start, length: length, axisLength: latent.frames, isCyclic: plan.config.loop)
        let canonical = item.canonical(temporalStride: stride) ?? item
        return ResolvedConditioning(
            item: canonical, box: LatentBox(frames: frames, rows: rows, columns: columns, channels: latent.channels),
            clipStartForm: plan.geometry.model.firstLatentForm ?? .first)
    }
}
