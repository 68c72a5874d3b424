/// Spatial tiling of each latent frame, for frames larger than the model's native
/// size. Sizes are in latent pixels and must be multiples of the patch size.
public struct TileSpec: Hashable, Sendable, Codable {
    /// Tile width in latent columns (clamped to the frame width).
    public var width: Int
    /// Tile height in latent rows (clamped to the frame height).
    public var height: Int
    /// Overlap between neighbouring tiles, in latent pixels, on both axes.
    public var overlap: Int

    public init(width: Int, height: Int, overlap: Int = TileSpec.defaultOverlap) {
        self.width = width
        self.height = height
        self.overlap = overlap
    }

    /// 8 latent pixels (64 pixels): four Wan tokens of shared context per edge.
    public static let defaultOverlap = 8
}
