/// One span of the clip that a worker decodes from latents to frames.
public struct DecodeChunk: Hashable, Sendable {
    /// Position in the job's chunk list, from 0.
    public var index: Int
    /// The frames this chunk produces (non-empty).
    public var frames: Range<Int>
    /// Frames before `frames` decoded only to warm the causal decoder's cache, then dropped.
    public var warmup: Int

    public init(index: Int, frames: Range<Int>, warmup: Int) {
        self.index = index
        self.frames = frames
        self.warmup = warmup
    }

    /// The `chunk`, `frame_begin`, `frame_end` and `warmup` columns of a row.
    init(row: PostgresRow) throws(StoreError) {
        index = try row.get("chunk")
        let begin: Int = try row.get("frame_begin")
        let end: Int = try row.get("frame_end")
        guard begin < end else { throw .badValue(column: "frame_end", expected: "above frame_begin \(begin)", found: "\(end)") }
        frames = begin..<end
        warmup = try row.get("warmup")
    }
}
