/// The shape of a clip's latent tensor, `[C, F, H, W]` in C order (width fastest).
public struct LatentShape: Hashable, Sendable, Codable {
    /// Latent channels.
    public var channels: Int
    /// Latent frames.
    public var frames: Int
    /// Latent rows.
    public var height: Int
    /// Latent columns.
    public var width: Int

    public init(channels: Int, frames: Int, height: Int, width: Int) {
        self.channels = channels
        self.frames = frames
        self.height = height
        self.width = width
    }

    /// `[C, F, H, W]`.
    public var dimensions: [Int] { [channels, frames, height, width] }

    /// Elements in the whole tensor.
    public var count: Int { channels * frames * height * width }

    /// The C-order linear index of element `(c, f, y, x)`; the noise generator's counter.
    @inlinable
    public func linearIndex(channel c: Int, frame f: Int, row y: Int, column x: Int) -> Int {
        ((c * frames + f) * height + y) * width + x
    }

    /// Transformer tokens in the whole clip.
    public func tokens(patch: PatchSize) -> Int {
        (frames / patch.frames) * (height / patch.height) * (width / patch.width)
    }
}
