/// Why a coordinator refused a job at admission: a quantity over one of its
/// ``AdmissionLimits``. Every case names the quantity, the value, the limit and
/// the coordinator flag that raises it, e.g.
/// "frames 1000000000 exceeds the limit 9601 (--max-frames)".
public enum AdmissionError: Error, Hashable, Sendable {
    /// `value` is above `limit`.
    case exceeds(Quantity, value: Int, limit: Int)
    /// A clip given in seconds that makes more than `limit` frames at `fps`.
    case tooLong(seconds: Double, fps: Int, limit: Int)
    /// A priority outside `-limit...limit`.
    case priorityOutOfRange(value: Int, limit: Int)

    /// What was counted.
    public enum Quantity: String, Hashable, Sendable, CaseIterable {
        case frames, width, height, pixels = "pixels per frame", clipPixels = "pixels in the clip", steps
        case tiles = "tiles per frame", regions, shards
        case prompt = "prompt characters", negativePrompt = "negative prompt characters"

        /// The coordinator flag (`reel coordinator`, `reel up`) that sets this limit.
        public var flag: String {
            switch self {
            case .frames: return "--max-frames"
            case .width, .height: return "--max-side"
            case .pixels: return "--max-pixels"
            case .clipPixels: return "--max-clip-pixels"
            case .steps: return "--max-steps"
            case .tiles: return "--max-tiles"
            case .regions: return "--max-regions"
            case .shards: return "--max-shards"
            case .prompt, .negativePrompt: return "--max-prompt"
            }
        }
    }
}

extension AdmissionError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .exceeds(let quantity, let value, let limit):
            // .max stands for a product that overflowed.
            let shown = value == .max ? "(over \(Int.max))" : "\(value)"
            return "\(quantity.rawValue) \(shown) exceeds the limit \(limit) (\(quantity.flag))"
        case .tooLong(let seconds, let fps, let limit):
            return "seconds \(seconds) at \(fps) fps exceeds the limit of \(limit) frames (--max-frames)"
        case .priorityOutOfRange(let value, let limit):
            return "priority \(value) is outside the limit -\(limit)...\(limit) (--max-priority)"
        }
    }
}
