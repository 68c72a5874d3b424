/// One temporal window × one spatial tile: the part of the clip a shard denoises.
public struct Region: Hashable, Sendable, Codable {
    /// Position in ``Plan/regions``: `window · tileCount + tile`.
    public let index: Int
    /// Index of the temporal window in ``Plan/windows``.
    public let window: Int
    /// Index of the tile in ``Plan/tiles``.
    public let tile: Int
    /// The latent elements covered.
    public let box: LatentBox

    public init(index: Int, window: Int, tile: Int, box: LatentBox) {
        self.index = index
        self.window = window
        self.tile = tile
        self.box = box
    }
}
