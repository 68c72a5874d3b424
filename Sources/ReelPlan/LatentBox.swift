/// A box of latent positions: a run of frames (possibly wrapping in loop mode) ×
/// rows × columns, all channels. Values over a box are laid out `[C, t, y, x]` in
/// C order, with `t` in the frame span's order (wrapped frames last).
public struct LatentBox: Hashable, Sendable, Codable {
    /// Frames (the time axis may be cyclic).
    public let frames: Span
    /// Rows.
    public let rows: Span
    /// Columns.
    public let columns: Span
    /// Latent channels.
    public let channels: Int

    public init(frames: Span, rows: Span, columns: Span, channels: Int) {
        self.frames = frames
        self.rows = rows
        self.columns = columns
        self.channels = channels
    }

    /// Latent positions per channel.
    public var positions: Int { frames.length * rows.length * columns.length }

    /// Values in a tensor over the box (all channels).
    public var count: Int { channels * positions }

    /// Whether the boxes share a position.
    public func overlaps(_ other: LatentBox) -> Bool {
        frames.overlaps(other.frames) && rows.overlaps(other.rows) && columns.overlaps(other.columns)
    }

    /// Offset of local element `(c, t, y, x)` in a tensor over the box.
    @inlinable
    public func localIndex(channel c: Int, frame t: Int, row y: Int, column x: Int) -> Int {
        ((c * frames.length + t) * rows.length + y) * columns.length + x
    }

    /// Transformer tokens in the box.
    public func tokens(patch: PatchSize) -> Int {
        (frames.length / patch.frames) * (rows.length / patch.height) * (columns.length / patch.width)
    }
}
