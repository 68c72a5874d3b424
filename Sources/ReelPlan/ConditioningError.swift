/// Why a job's conditioning items cannot be planned. Items are numbered from 1 in
/// the order the request lists them; every case prints a sentence that says what
/// to change (the CLI shows it verbatim).
public enum ConditioningError: Error, Hashable, Sendable {
    /// More items than a job may carry.
    case tooMany(count: Int, limit: Int)
    /// A source digest that is not 64 lowercase hex digits.
    case badDigest(item: Int, digest: String)
    /// Neither or both of `frame` and `latent_frame` given.
    case placement(item: Int)
    /// A pixel frame that does not start a latent frame of the causal VAE.
    case frameNotOnLatentBoundary(item: Int, frame: Int, stride: Int, nearest: [Int])
    /// A video frame range the VAE cannot encode (or an image given a range).
    case badFrameRange(item: Int, firstFrame: Int?, frameCount: Int?, stride: Int, nearest: [Int])
    /// The item's latent frames `start ..< start + length` do not lie in the clip's `0 ..< clipLatentFrames`.
    case outsideClip(item: Int, latentStart: Int, latentLength: Int, clipLatentFrames: Int, stride: Int)
    /// A `start` item without a strength in (0, 1].
    case strengthOutOfRange(item: Int, value: Double?)
    /// A strength on a pinned item (pins keep the source exactly).
    case strengthOnPin(item: Int, value: Double)
    /// A spatial box outside the frame or off the VAE's pixel grid.
    case badBox(item: Int, box: PixelBox, spatialStride: Int, width: Int, height: Int)
    /// Two pinned items cover the same latent positions.
    case overlappingPins(first: Int, second: Int, firstDigest: String, secondDigest: String)
    /// A pinned item covers positions that an SDEdit (`start`) item also covers.
    case pinOverlapsEdit(pin: Int, edit: Int)
    /// An SDEdit item that does not cover the whole clip (every latent frame, the whole frame).
    case editNotWholeClip(item: Int, latentStart: Int, latentLength: Int, clipLatentFrames: Int)
    /// Two SDEdit items with different strengths (the schedule has one first step).
    case mixedStrengths(first: Int, second: Int)
    /// A `join` the output cannot hold: not a pinned video without a box at the clip's
    /// start or end, a second one, or in loop mode (``SourceJoin``).
    case badJoin(item: Int, why: String)
}

extension ConditioningError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .tooMany(let count, let limit):
            return "the job has \(count) conditioning items; at most \(limit) are allowed. Split it into several jobs."
        case .badDigest(let item, let digest):
            return "conditioning item \(item): source digest '\(digest.prefix(80))' is not a SHA-256 (64 lowercase hex digits)."
        case .placement(let item):
            return "conditioning item \(item): give exactly one of frame (pixel frame) and latent_frame."
        case .frameNotOnLatentBoundary(let item, let frame, let stride, let nearest):
            return "conditioning item \(item): pixel frame \(frame) does not start a latent frame "
                + "(the VAE packs \(stride) pixel frames per latent frame after frame 0); nearest valid: \(Self.list(nearest))."
        case .badFrameRange(let item, let first, let count, let stride, let nearest):
            let range = "first frame \(first.map(String.init) ?? "none"), \(count.map(String.init) ?? "no") frames"
            return nearest.isEmpty
                ? "conditioning item \(item): an image source takes no frame range (\(range))."
                : "conditioning item \(item): a video source needs first frame ≥ 0 and \(stride)·k + 1 frames "
                    + "(\(range)); nearest valid counts: \(Self.list(nearest))."
        case .outsideClip(let item, let start, let length, let clip, let stride):
            let lastPixel = (clip - 1) * stride
            // `start` comes from a submitted job: never let the message overflow.
            let end = start.addingReportingOverflow(length)
            return "conditioning item \(item) covers latent frames \(start)..<\(end.overflow ? "∞" : String(end.partialValue)), outside the clip's "
                + "0..<\(clip) (pixel frames 0...\(lastPixel)): place it earlier, shorten the source or lengthen the clip."
        case .strengthOutOfRange(let item, let value):
            return "conditioning item \(item): strength \(value.map { "\($0)" } ?? "(none)") is invalid: "
                + "an edit needs a strength in (0, 1], e.g. 0.6."
        case .strengthOnPin(let item, let value):
            return "conditioning item \(item): strength \(value) applies only to mode start (an edit); "
                + "a pinned source is kept exactly."
        case .badBox(let item, let box, let stride, let width, let height):
            return "conditioning item \(item): box x \(box.x), y \(box.y), \(box.width)×\(box.height) must lie inside the "
                + "\(width)×\(height) frame with every value a multiple of \(stride) and a non-empty size."
        case .overlappingPins(let first, let second, let a, let b):
            return "conditioning items \(first) and \(second) pin the same latent positions (sources \(a.prefix(12))… "
                + "and \(b.prefix(12))…): move one (another time or box) so that each position has one source."
        case .pinOverlapsEdit(let pin, let edit):
            return "conditioning item \(pin) pins positions that item \(edit) edits: a position is either kept or "
                + "edited (e.g. --image cannot be combined with --edit)."
        case .editNotWholeClip(let item, let start, let length, let clip):
            return "conditioning item \(item) edits latent frames \(start)..<\(start + length); an edit must cover the "
                + "whole clip (0..<\(clip)) and the whole frame, without a box: make the clip as long as the source."
        case .mixedStrengths(let first, let second):
            return "conditioning items \(first) and \(second) edit with different strengths; a job has one strength."
        case .badJoin(let item, let why):
            return "conditioning item \(item): join (the output also holds the source, as --extend does) \(why)."
        }
    }

    private static func list(_ values: [Int]) -> String { values.map(String.init).joined(separator: " or ") }
}
