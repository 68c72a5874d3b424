/// One piece of the decode stage: latent frames `frames` decoded after `warmup`
/// earlier latent frames that only warm the causal VAE's caches and are thrown
/// away, so chunks can run on different workers and their pixel frames simply
/// concatenate.
///
/// A looped clip (``cycle`` set) is decoded as a circle: its chunk 0 is warmed up
/// from the clip's last latent frames, so every latent frame, frame 0 included,
/// decodes as a later frame of `temporalStride` pixel frames and the last pixel
/// frame runs on into the first.
public struct DecodeChunk: Hashable, Sendable, Codable {
    /// Position in the clip, from 0.
    public let index: Int
    /// Latent frames whose pixels this chunk yields.
    public let frames: Range<Int>
    /// Latent frames decoded before `frames.lowerBound` and discarded (for a
    /// looped clip, the frames before it on the circle: the clip's last frames
    /// for chunk 0).
    public let warmup: Int
    /// The pixel frames it yields: a causal VAE turns the first latent frame it
    /// sees into one pixel frame and every later one into `temporalStride`, so in
    /// a clip decoded start to end latent frame 0 is one pixel frame, and in a
    /// looped clip every latent frame f is pixel frames `[stride·f, stride·f + stride)`.
    public let pixelFrames: Range<Int>
    /// The latent frame count of the looped clip this chunk belongs to; nil for a
    /// clip decoded start to end. Absent in chunks encoded before loops were
    /// decoded as circles, which decode start to end.
    public let cycle: Int?

    /// Latent frames the worker receives, counted along the decode:
    /// `[frames.lowerBound − warmup, frames.upperBound)`. Below 0 only in a looped
    /// clip (chunk 0, or one warmed up across the wrap), where frame −k is the
    /// clip's frame −k modulo ``cycle`` (``inputRanges`` names them in the clip).
    public var inputFrames: Range<Int> { (frames.lowerBound - warmup) ..< frames.upperBound }

    /// Whether the worker's decode run starts at the clip's latent frame 0: its input
    /// begins there and the clip is decoded start to end (a loop's run never starts the
    /// clip: its warm-up comes round from the tail). Where a model draws that frame in
    /// later form, such a run reads it so (`DecodeAssignment.later_start`).
    public var startsClip: Bool { cycle == nil && inputFrames.lowerBound == 0 }

    /// ``inputFrames`` as ranges of the clip's latent frames, in the order the
    /// worker decodes them: one range, or where a looped clip's warm-up crosses the
    /// wrap, the clip's tail and then its frames from 0 (a warm-up longer than the
    /// clip goes round the circle more than once, a whole range each time).
    public var inputRanges: [Range<Int>] {
        let input = inputFrames
        guard input.lowerBound < 0, let cycle, cycle > 0 else { return [input] }
        var ranges: [Range<Int>] = []
        var position = input.lowerBound
        while position < input.upperBound {
            // Up to the next multiple of `cycle`, where the circle comes round to frame 0.
            let turn = Self.floorDivide(position, cycle)
            let end = min(input.upperBound, (turn + 1) * cycle)
            ranges.append((position - turn * cycle) ..< (end - turn * cycle))
            position = end
        }
        return ranges
    }

    /// `a / b` rounded down (Swift's `/` rounds towards 0), for `b` > 0.
    private static func floorDivide(_ a: Int, _ b: Int) -> Int { a >= 0 ? a / b : -((-a + b - 1) / b) }

    /// - Parameter cycle: the latent frame count of a looped clip, decoded as a
    ///   circle; nil (the default) for a clip decoded start to end.
    public init(index: Int, frames: Range<Int>, warmup: Int, temporalStride: Int, cycle: Int? = nil) {
        self.index = index
        self.frames = frames
        self.warmup = warmup
        self.cycle = cycle
        let looped = cycle != nil
        self.pixelFrames = Self.pixelIndex(frames.lowerBound, stride: temporalStride, looped: looped)
            ..< Self.pixelIndex(frames.upperBound, stride: temporalStride, looped: looped)
    }

    /// The first pixel frame of latent frame `f` (and, for `f` = F, the pixel count):
    /// `stride·f` in a looped clip, where no frame decodes as a first frame.
    static func pixelIndex(_ f: Int, stride: Int, looped: Bool = false) -> Int {
        looped ? f * stride : f == 0 ? 0 : 1 + (f - 1) * stride
    }

    /// Cuts `latentFrames` into chunks of `size` latent frames (the last may be
    /// shorter), each warmed up by `warmup` frames before it (fewer near the start;
    /// at least one for every chunk but the first, because a causal VAE turns the
    /// first frame it sees into a single pixel frame).
    ///
    /// With `loop` the clip is decoded as a circle: every chunk is warmed up by the
    /// `max(warmup, 1)` frames before it on the circle, so chunk 0 too, by the clip's
    /// last frames (round the circle again if the warm-up is longer than the clip),
    /// and its first frame decodes as a later frame. A chunk that starts at least
    /// `warmup` frames in is warmed up as without `loop`; one nearer the start is
    /// warmed across the wrap rather than by fewer frames, so that on a circle every
    /// chunk sees the history a sequential decode round the circle would give it.
    public static func layout(latentFrames: Int, size: Int, warmup: Int, temporalStride: Int, loop: Bool = false) -> [DecodeChunk] {
        precondition(latentFrames > 0 && size > 0 && warmup >= 0 && temporalStride > 0, "invalid decode layout")
        let least = max(warmup, 1)
        return stride(from: 0, to: latentFrames, by: size).enumerated().map { index, start in
            let chunkWarmup = loop ? least : start == 0 ? 0 : min(least, start)
            return DecodeChunk(
                index: index, frames: start ..< min(start + size, latentFrames), warmup: chunkWarmup,
                temporalStride: temporalStride, cycle: loop ? latentFrames : nil)
        }
    }
}

extension DecodeChunk {
    /// Latent frames per chunk so that warming each chunk up adds at most
    /// `maxOverhead` (0.3: 30 %) to a sequential decode of the clip: at least
    /// `warmup / maxOverhead`, and never below `minimum`. Long chunks cost the
    /// worker no memory, since it encodes frames as the decoder emits them.
    public static func size(warmup: Int, minimum: Int, maxOverhead: Double) -> Int {
        precondition(minimum >= 1 && maxOverhead > 0, "invalid decode chunk sizing")
        return max(minimum, Int((Double(warmup) / maxOverhead).rounded(.up)))
    }

    /// Latent frames decoded by `chunks` (their own and their warm-up frames)
    /// over the frames of the clip: 1 for a sequential decode. Warm-up frames are
    /// counted whole, although the decoder runs only the stages they still reach,
    /// so the real ratio is lower.
    public static func workRatio(_ chunks: [DecodeChunk]) -> Double {
        let own = chunks.reduce(0) { $0 + $1.frames.count }
        guard own > 0 else { return 1 }
        return Double(chunks.reduce(0) { $0 + $1.inputFrames.count }) / Double(own)
    }
}
