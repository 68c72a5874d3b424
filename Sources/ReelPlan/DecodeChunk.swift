/// One piece of the decode stage: latent frames `frames` decoded after `warmup`
/// earlier latent frames that only warm the causal VAE's caches and are thrown
/// away, so chunks can run on different workers and their pixel frames simply
/// concatenate.
public struct DecodeChunk: Hashable, Sendable, Codable {
    /// Position in the clip, from 0.
    public let index: Int
    /// Latent frames whose pixels this chunk yields.
    public let frames: Range<Int>
    /// Latent frames decoded before `frames.lowerBound` and discarded.
    public let warmup: Int
    /// The pixel frames it yields: a causal VAE turns latent frame 0 into one
    /// pixel frame and every later one into `temporalStride`.
    public let pixelFrames: Range<Int>

    /// Latent frames the worker receives: `[frames.lowerBound − warmup, frames.upperBound)`.
    public var inputFrames: Range<Int> { (frames.lowerBound - warmup) ..< frames.upperBound }

    public init(index: Int, frames: Range<Int>, warmup: Int, temporalStride: Int) {
        self.index = index
        self.frames = frames
        self.warmup = warmup
        self.pixelFrames = Self.pixelIndex(frames.lowerBound, stride: temporalStride)
            ..< Self.pixelIndex(frames.upperBound, stride: temporalStride)
    }

    /// The first pixel frame of latent frame `f` (and, for `f` = F, the pixel count).
    static func pixelIndex(_ f: Int, stride: Int) -> Int { f == 0 ? 0 : 1 + (f - 1) * stride }

    /// Cuts `latentFrames` into chunks of `size` latent frames (the last may be
    /// shorter), each warmed up by `warmup` frames before it (fewer near the start;
    /// at least one for every chunk but the first, because a causal VAE turns the
    /// first frame it sees into a single pixel frame).
    public static func layout(latentFrames: Int, size: Int, warmup: Int, temporalStride: Int) -> [DecodeChunk] {
        precondition(latentFrames > 0 && size > 0 && warmup >= 0 && temporalStride > 0, "invalid decode layout")
        return stride(from: 0, to: latentFrames, by: size).enumerated().map { index, start in
            DecodeChunk(
                index: index, frames: start ..< min(start + size, latentFrames), warmup: start == 0 ? 0 : min(max(warmup, 1), start),
                temporalStride: temporalStride)
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
