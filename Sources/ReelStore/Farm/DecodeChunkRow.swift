import ReelPlan

/// A `decode_chunks` row: which latent frames (as the job's ``DecodeChunk`` layout
/// made them when decoding started) and where their decode stands.
public struct DecodeChunkRow: Hashable, Sendable {
    /// The job's id.
    public var job: Int64
    /// The chunk's position in the clip, from 0.
    public var chunk: Int
    /// The latent frames it yields.
    public var frames: Range<Int>
    /// Latent frames decoded before `frames` and discarded.
    public var warmup: Int
    /// State, lease and result.
    public var status: WorkStatus

    init(row: PostgresRow) throws(StoreError) {
        job = try row.get("job_id")
        chunk = try row.get("chunk")
        let begin: Int = try row.get("frame_begin")
        let end: Int = try row.get("frame_end")
        guard begin < end else { throw .badValue(column: "frame_end", expected: "above frame_begin \(begin)", found: "\(end)") }
        frames = begin ..< end
        warmup = try row.get("warmup")
        status = try WorkStatus(row: row)
    }

    /// The chunk this row records, for a model whose VAE turns each latent frame
    /// after the first into `temporalStride` pixel frames, in a looped clip of
    /// `cycle` latent frames (decoded as a circle) or, for nil, one decoded start to end.
    public func decodeChunk(temporalStride: Int, cycle: Int? = nil) -> DecodeChunk {
        DecodeChunk(index: chunk, frames: frames, warmup: warmup, temporalStride: temporalStride, cycle: cycle)
    }
}
