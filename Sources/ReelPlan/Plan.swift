/// How one job is cut into pieces that workers denoise independently: temporal
/// windows × spatial tiles (regions), step blocks, and the shards (region, block)
/// with their dependencies, blend weights and noise.
///
/// A pure value: building it does no I/O, and every query is a function of the
/// plan and its arguments, so the coordinator can rebuild it from the stored job
/// at any time and get the same answer.
public struct Plan: Hashable, Sendable {
    /// The clip and model.
    public let geometry: ClipGeometry
    /// The settings the plan was built from (sizes before clamping).
    public let config: PlanConfig
    /// Temporal windows over the latent frames (cyclic in loop mode).
    public let windows: [Span]
    /// Tile rows (spans of latent rows); one when not tiling.
    public let tileRows: [Span]
    /// Tile columns (spans of latent columns); one when not tiling.
    public let tileColumns: [Span]
    /// Tiles, row-major: `tileRows × tileColumns`.
    public let tiles: [Tile]
    /// Regions, window-major: region `w · tiles.count + t` is window w × tile t.
    public let regions: [Region]
    /// The step blocks.
    public let schedule: StepSchedule
    /// Blend weights along time, one array per window.
    public let frameWeights: AxisWeights
    /// Blend weights along rows, one array per tile row.
    public let rowWeights: AxisWeights
    /// Blend weights along columns, one array per tile column.
    public let columnWeights: AxisWeights
    /// `neighbours[r]`: regions whose boxes overlap region r (r included), ascending.
    public let neighbours: [[Int]]

    /// Validates `config` against the clip and lays out windows, tiles and blocks.
    ///
    /// A window or tile larger than the clip is clamped to it, which makes one
    /// window (or tile) covering everything.
    public init(geometry: ClipGeometry, config: PlanConfig = .default) throws(PlanError) {
        let patch = geometry.model.patch
        try config.validate(patch: patch)
        let latent = geometry.latent
        self.geometry = geometry
        self.config = config
        self.schedule = try StepSchedule(
            steps: config.steps, blendEvery: config.blendEvery,
            firstBlock: config.firstBlock, lastBlock: config.lastBlock)

        windows = Span.layout(
            axisLength: latent.frames, size: config.window, overlap: config.overlap,
            cyclic: config.loop, quantum: patch.frames)
        if let tile = config.tile {
            tileRows = Span.layout(
                axisLength: latent.height, size: tile.height, overlap: tile.overlap, quantum: patch.height)
            tileColumns = Span.layout(
                axisLength: latent.width, size: tile.width, overlap: tile.overlap, quantum: patch.width)
        } else {
            tileRows = [.whole(latent.height)]
            tileColumns = [.whole(latent.width)]
        }
        var tiles: [Tile] = []
        for rows in tileRows {
            for columns in tileColumns {
                tiles.append(Tile(index: tiles.count, rows: rows, columns: columns))
            }
        }
        self.tiles = tiles
        var regions: [Region] = []
        for (w, frames) in windows.enumerated() {
            for tile in tiles {
                let box = LatentBox(frames: frames, rows: tile.rows, columns: tile.columns, channels: latent.channels)
                regions.append(Region(index: regions.count, window: w, tile: tile.index, box: box))
            }
        }
        self.regions = regions
        frameWeights = AxisWeights(spans: windows, floor: config.blendFloor)
        rowWeights = AxisWeights(spans: tileRows, floor: config.blendFloor)
        columnWeights = AxisWeights(spans: tileColumns, floor: config.blendFloor)
        // Boxes overlap when their frames, rows and columns all do, so a region's
        // neighbours are its window's overlapping windows × its tile's overlapping
        // tiles: linear in the regions, where comparing every pair hung planning
        // for long clips. Window-major and row-major indices keep the lists ascending.
        let windowLists = Span.overlapLists(windows)
        let rowLists = Span.overlapLists(tileRows), columnLists = Span.overlapLists(tileColumns)
        let columnCount = tileColumns.count
        let tileLists = tiles.map { tile in
            rowLists[tile.index / columnCount].flatMap { row in
                columnLists[tile.index % columnCount].map { row * columnCount + $0 }
            }
        }
        neighbours = regions.map { r in
            windowLists[r.window].flatMap { w in tileLists[r.tile].map { w * tiles.count + $0 } }
        }
    }

    /// The latent shape `[C, F_lat, H_lat, W_lat]`.
    public var latent: LatentShape { geometry.latent }

    /// Step blocks, in order.
    public var blocks: [StepBlock] { schedule.blocks }

    /// The whole clip as a box (frames in order, cyclic in loop mode): the target
    /// of the final blend before decoding.
    public var clipBox: LatentBox {
        LatentBox(
            frames: .whole(latent.frames, isCyclic: config.loop), rows: .whole(latent.height),
            columns: .whole(latent.width), channels: latent.channels)
    }

    /// Whether the plan is one region and one block: a single pass over the clip.
    public var isSinglePass: Bool { regions.count == 1 }

    /// Frame boundaries where a window starts or ends inside the clip (in loop mode
    /// taken modulo F_lat, and 0 for the wrap itself): the pairs `(b − 1, b)` that
    /// ``SeamMetric`` compares against the rest.
    public var windowBoundaries: [Int] {
        guard windows.count > 1 else { return [] }
        let f = latent.frames
        var set = Set<Int>()
        for w in windows {
            for b in [w.start, w.end] {
                let m = b % f
                if config.loop || (m != 0 && b != f) { set.insert(m) }
            }
        }
        return set.sorted()
    }
}
