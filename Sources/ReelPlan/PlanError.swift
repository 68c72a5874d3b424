/// Why a job cannot be planned (or a plan cannot be used as asked), with the
/// offending value, what was expected and, where it helps, the nearest valid values.
///
/// Every case prints a sentence a user can act on (`description`); the CLI shows
/// it verbatim.
public enum PlanError: Error, Hashable, Sendable {
    /// A size or count that must be at least 1.
    case notPositive(Parameter, value: Int)
    /// A size that must be at least 0 (overlaps).
    case negative(Parameter, value: Int)
    /// A value that must be a multiple of `quantum` (frame sizes, tiles).
    case notMultiple(Parameter, value: Int, of: Int, nearest: [Int])
    /// A frame size whose width or height is not a multiple of the model's spatial
    /// unit (VAE stride × patch), with the nearest valid sizes.
    case invalidFrameSize(PixelSize, quantum: Int, nearest: [PixelSize])
    /// A prompt timeline that cannot be used, with what to change.
    case invalidTimeline(String)
    /// A still (one frame) given a length: the value given, e.g. "frames 81".
    case stillLength(String)
    /// A pixel frame count that the causal VAE cannot encode: it must be `stride·k + 1`.
    case invalidFrameCount(Int, stride: Int, nearest: [Int])
    /// An overlap that is not smaller than the window or tile it belongs to.
    case overlapTooLarge(Parameter, overlap: Int, size: Int)
    /// A value outside a closed range (block sizes against the step count).
    case outOfRange(Parameter, value: Int, valid: ClosedRange<Int>)
    /// A real-valued parameter outside its range (blend floor, seconds, guidance).
    case outOfRangeReal(Parameter, value: Double, expected: String)
    /// `blend` was not given the output of a region that overlaps its target.
    case missingOutput(region: Int)
    /// A region's output does not hold one value per latent element of the region.
    case wrongOutputLength(region: Int, count: Int, expected: Int)
    /// A shard or region index that the plan does not have.
    case unknownShard(ShardID)

    /// The user-facing name of a checked value; the raw value matches the CLI flag.
    public enum Parameter: String, Hashable, Sendable, CaseIterable {
        case frames, seconds, fps, width, height
        case steps, window, overlap
        case blendEvery = "blend-every", firstBlock = "first-block", lastBlock = "last-block"
        case tileWidth = "tile width", tileHeight = "tile height", tileOverlap = "tile-overlap"
        case blendFloor = "blend-floor", guidanceScale = "guidance-scale", shift
        case latentChannels = "latent channels", temporalStride = "VAE temporal stride"
        case spatialStride = "VAE spatial stride", patchFrames = "patch frames"
        case patchHeight = "patch height", patchWidth = "patch width", layers
        case modelWidth = "model width", ffnWidth = "FFN width", heads
        case textTokens = "text tokens", textDim = "text dim"
    }

    /// The value that was rejected (nil for plan-usage errors).
    public var parameter: Parameter? {
        switch self {
        case .notPositive(let p, _), .negative(let p, _), .notMultiple(let p, _, _, _),
            .overlapTooLarge(let p, _, _), .outOfRange(let p, _, _), .outOfRangeReal(let p, _, _):
            return p
        case .invalidFrameCount, .stillLength: return .frames
        case .invalidTimeline: return .seconds
        case .invalidFrameSize(let size, let quantum, _): return size.width % quantum == 0 ? .height : .width
        case .missingOutput, .wrongOutputLength, .unknownShard: return nil
        }
    }

    /// Valid values closest to the rejected one, smallest first (empty when a range says it all).
    public var nearestValid: [Int] {
        switch self {
        case .notMultiple(_, _, _, let nearest), .invalidFrameCount(_, _, let nearest): return nearest
        case .notPositive: return [1]
        case .negative: return [0]
        case .overlapTooLarge(_, _, let size): return [size - 1]
        case .outOfRange(_, let value, let valid): return [min(max(value, valid.lowerBound), valid.upperBound)]
        default: return []
        }
    }

    /// The multiples of `quantum` on either side of `value`, leaving out one below
    /// `minimum` (sizes start at one quantum, overlaps at 0) and one above `Int.max`:
    /// `value` comes from a submitted job, and a tile width near `Int.max` must get
    /// an error message, not an overflow trap.
    static func nearestMultiples(of quantum: Int, around value: Int, minimum: Int? = nil) -> [Int] {
        let below = (max(value, 0) / quantum) * quantum
        let (above, overflow) = below.addingReportingOverflow(quantum)
        return (below >= (minimum ?? quantum) ? [below] : []) + (overflow ? [] : [above])
    }
}

extension PlanError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .notPositive(let p, let value):
            return "\(p.rawValue) \(value) is invalid: it must be at least 1."
        case .negative(let p, let value):
            return "\(p.rawValue) \(value) is invalid: it must be 0 or more."
        case .notMultiple(let p, let value, let quantum, let nearest):
            return "\(p.rawValue) \(value) is not a multiple of \(quantum); nearest valid: \(Self.list(nearest))."
        case .invalidFrameSize(let size, let quantum, let nearest):
            return "\(size) is not a multiple of \(quantum); nearest: "
                + nearest.map(\.description).joined(separator: ", ") + "."
        case .invalidTimeline(let why):
            return "prompt timeline: \(why)."
        case .stillLength(let given):
            return "a still is one frame, but \(given) was given: leave out --frames and --seconds (or give --frames 1)."
        case .invalidFrameCount(let frames, let stride, let nearest):
            return "frames \(frames) cannot be encoded: the VAE needs \(stride)·k + 1 frames; "
                + "nearest valid: \(Self.list(nearest))."
        case .overlapTooLarge(let p, let overlap, let size):
            return "\(p.rawValue) \(overlap) must be smaller than the size it overlaps (\(size)); "
                + "valid: 0...\(size - 1)."
        case .outOfRange(let p, let value, let valid):
            return "\(p.rawValue) \(value) is out of range; valid: \(valid.lowerBound)...\(valid.upperBound)."
        case .outOfRangeReal(let p, let value, let expected):
            return "\(p.rawValue) \(value) is invalid: expected \(expected)."
        case .missingOutput(let region):
            return "blend needs the output of region \(region), which overlaps the target."
        case .wrongOutputLength(let region, let count, let expected):
            return "output of region \(region) has \(count) values; expected \(expected) (C·F·H·W of the region)."
        case .unknownShard(let shard):
            return "the plan has no shard \(shard)."
        }
    }

    private static func list(_ values: [Int]) -> String {
        values.map(String.init).joined(separator: " or ")
    }
}
