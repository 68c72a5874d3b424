/// A `decode_chunks` row.
public struct DecodeChunkRow: Hashable, Sendable {
    /// The job's id.
    public var job: Int64
    /// Which frames.
    public var chunk: DecodeChunk
    /// State, lease and result.
    public var status: WorkStatus

    init(row: PostgresRow) throws(StoreError) {
        job = try row.get("job_id")
        chunk = try DecodeChunk(row: row)
        status = try WorkStatus(row: row)
    }
}
