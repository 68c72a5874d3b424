/// One piece of a distributed decode: latent frames `latentFrames` decoded after
/// `warmup` earlier latent frames that only fill the caches, yielding pixel frames
/// `pixelFrames` of the clip. Chunks of one clip, decoded anywhere and concatenated
/// in order, give every pixel frame exactly once.
public struct VAEDecodeChunk: Sendable, Equatable {
    public var latentFrames: Range<Int>
    public var warmup: Int
    public var pixelFrames: Range<Int>

    public init(latentFrames: Range<Int>, warmup: Int, pixelFrames: Range<Int>) {
        self.latentFrames = latentFrames
        self.warmup = warmup
        self.pixelFrames = pixelFrames
    }

    /// Cuts `latentFrames` latent frames into chunks of `chunkSize` (the last may be
    /// shorter), each with `warmup` warm-up frames where that many precede it.
    /// Latent frame 0 decodes to pixel frame 0 and latent frame `k ≥ 1` to pixel
    /// frames `s(k−1)+1 … s·k` for temporal stride `s`.
    public static func plan(latentFrames f: Int, chunkSize: Int, warmup: Int, temporalStride s: Int) -> [VAEDecodeChunk] {
        precondition(chunkSize > 0 && warmup >= 0 && s > 0, "chunk size and stride must be positive, warm-up non-negative")
        func pixel(_ k: Int) -> Int { firstPixelFrame(ofLatentFrame: k, temporalStride: s) }
        return stride(from: 0, to: max(f, 0), by: chunkSize).map { a in
            let b = min(f, a + chunkSize)
            return VAEDecodeChunk(latentFrames: a ..< b, warmup: min(warmup, a), pixelFrames: pixel(a) ..< pixel(b))
        }
    }

    /// The first pixel frame latent frame `k` decodes to (and the pixel frame count of `k` latent frames).
    public static func firstPixelFrame(ofLatentFrame k: Int, temporalStride s: Int) -> Int { k <= 0 ? 0 : 1 + s * (k - 1) }
}
