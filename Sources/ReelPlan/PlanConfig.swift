/// How to cut a clip: window and tile sizes, overlaps, loop mode, step blocks and
/// the blend floor. Sizes are in latent units.
///
/// Defaults (documented in the CLI help too):
/// - `window` 21 latent frames: Wan 2.1's native 81 pixel frames.
/// - `overlap` 5 latent frames (20 pixel frames, 1.25 s at 16 fps): about a quarter
///   of the window, enough shared context for the ramps to hide the seam while the
///   stride (16) keeps the recomputed fraction near 24 %.
/// - `steps` 50 (Wan's default sampler length), `blendEvery` 5: ten blends per job,
///   so neighbouring windows exchange state every 10 % of the trajectory.
/// - `firstBlock`/`lastBlock` nil, meaning `blendEvery` (uniform blocks); set them
///   shorter to blend more often where the sample changes most.
/// - `tile` nil: one tile per frame.
/// - `blendFloor` 0.05: the weight at the outer edge of an overlap ramp.
public struct PlanConfig: Hashable, Sendable, Codable {
    /// Latent frames per temporal window (clamped to the clip).
    public var window: Int
    /// Latent frames shared by neighbouring windows.
    public var overlap: Int
    /// Loop mode: windows wrap from the clip's end to its start.
    public var loop: Bool
    /// Spatial tiling, or nil for whole frames.
    public var tile: TileSpec?
    /// Sampling steps N.
    public var steps: Int
    /// Steps per block K.
    public var blendEvery: Int
    /// Steps in the first block (nil: `blendEvery`).
    public var firstBlock: Int?
    /// Steps in the last block (nil: `blendEvery`).
    public var lastBlock: Int?
    /// Lowest blend weight on an overlap ramp, in `(0, 1]`; 1 is a plain average.
    public var blendFloor: Double

    public init(
        window: Int = 21, overlap: Int = 5, loop: Bool = false, tile: TileSpec? = nil,
        steps: Int = 50, blendEvery: Int = 5, firstBlock: Int? = nil, lastBlock: Int? = nil,
        blendFloor: Double = 0.05
    ) {
        self.window = window
        self.overlap = overlap
        self.loop = loop
        self.tile = tile
        self.steps = steps
        self.blendEvery = blendEvery
        self.firstBlock = firstBlock
        self.lastBlock = lastBlock
        self.blendFloor = blendFloor
    }

    /// The defaults listed above.
    public static let `default` = PlanConfig()

    /// Checks everything that does not depend on the clip: positive sizes,
    /// overlaps below their sizes, tiles in whole patches, a valid step schedule and
    /// floor. A window or tile longer than the clip is fine (it is clamped).
    public func validate(patch: PatchSize) throws(PlanError) {
        guard window >= 1 else { throw .notPositive(.window, value: window) }
        guard overlap >= 0 else { throw .negative(.overlap, value: overlap) }
        guard overlap < window else { throw .overlapTooLarge(.overlap, overlap: overlap, size: window) }
        if patch.frames > 1 {
            try Self.checkMultiple(.window, window, of: patch.frames)
            try Self.checkMultiple(.overlap, overlap, of: patch.frames, minimum: 0)
        }
        if let tile {
            guard tile.width >= 1 else { throw .notPositive(.tileWidth, value: tile.width) }
            guard tile.height >= 1 else { throw .notPositive(.tileHeight, value: tile.height) }
            try Self.checkMultiple(.tileWidth, tile.width, of: patch.width)
            try Self.checkMultiple(.tileHeight, tile.height, of: patch.height)
            guard tile.overlap >= 0 else { throw .negative(.tileOverlap, value: tile.overlap) }
            try Self.checkMultiple(.tileOverlap, tile.overlap, of: patch.height, minimum: 0)
            try Self.checkMultiple(.tileOverlap, tile.overlap, of: patch.width, minimum: 0)
            let smaller = min(tile.width, tile.height)
            guard tile.overlap < smaller else {
                throw .overlapTooLarge(.tileOverlap, overlap: tile.overlap, size: smaller)
            }
        }
        _ = try StepSchedule(steps: steps, blendEvery: blendEvery, firstBlock: firstBlock, lastBlock: lastBlock)
        guard blendFloor > 0 && blendFloor <= 1 else {
            throw .outOfRangeReal(.blendFloor, value: blendFloor, expected: "a weight in (0, 1], e.g. 0.05")
        }
    }

    private static func checkMultiple(
        _ p: PlanError.Parameter, _ value: Int, of quantum: Int, minimum: Int? = nil
    ) throws(PlanError) {
        guard value % quantum == 0 else {
            throw .notMultiple(
                p, value: value, of: quantum,
                nearest: PlanError.nearestMultiples(of: quantum, around: value, minimum: minimum))
        }
    }
}
