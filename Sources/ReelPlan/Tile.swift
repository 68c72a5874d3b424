/// A spatial tile: a rectangle of latent rows × columns, the same in every frame.
/// Without tiling there is one tile covering the whole frame.
public struct Tile: Hashable, Sendable, Codable {
    /// Position in ``Plan/tiles`` (row-major over tile rows and columns).
    public let index: Int
    /// Latent rows.
    public let rows: Span
    /// Latent columns.
    public let columns: Span

    public init(index: Int, rows: Span, columns: Span) {
        self.index = index
        self.rows = rows
        self.columns = columns
    }
}
