import ReelPlan

/// A table of leased work. The SQL for shards and decode chunks differs only in the
/// table name, the key columns, and the job state in which items are handed out.
struct LeaseTable: Sendable {
    let table: String
    let keyColumns: [String]
    /// Items are handed out only while their job is in this state.
    let jobState: JobState.Name
    /// Prefix of event kinds (`shard.done`, `chunk.done`).
    let eventPrefix: String

    static let shards = LeaseTable(table: "shards", keyColumns: ["block", "region"], jobState: .running, eventPrefix: "shard")
    static let decodeChunks = LeaseTable(
        table: "decode_chunks", keyColumns: ["chunk"], jobState: .decoding, eventPrefix: "chunk")

    /// A job's prompt encoding is handed out while the job runs: its shards wait
    /// (pending) until the encoding is done.
    static let promptEncodings = LeaseTable(
        table: "prompt_encodings", keyColumns: ["encoding"], jobState: .running, eventPrefix: "prompt")

    /// A job's conditioning sources, VAE-encoded while the job runs: its shards wait
    /// (pending) until every one is done.
    static let sourceEncodings = LeaseTable(
        table: "source_encodings", keyColumns: ["encoding"], jobState: .running, eventPrefix: "source")

    static let all = [shards, decodeChunks, promptEncodings, sourceEncodings]

    /// `t.block = $2 AND t.region = $3` for parameters starting at `first`.
    func keyMatch(alias: String, firstParameter first: Int) -> String {
        keyColumns.enumerated().map { "\(alias).\($0.element) = $\(first + $0.offset)" }.joined(separator: " AND ")
    }

    /// The item of a row holding `job_id` and the key columns.
    func item(_ row: PostgresRow) throws(StoreError) -> WorkItem {
        if table == Self.promptEncodings.table { return .promptEncoding }
        if table == Self.sourceEncodings.table { return .sourceEncoding(try row.get("encoding")) }
        if keyColumns.count == 1 { return .decodeChunk(try row.get("chunk")) }
        return .shard(ShardID(region: try row.get("region"), block: try row.get("block")))
    }

    /// The lease of a leased row.
    func lease(_ row: PostgresRow) throws(StoreError) -> Lease {
        Lease(
            job: try row.get("job_id"), item: try item(row), worker: try row.get("worker"),
            attempt: try row.get("attempt"), tries: try row.get("tries"))
    }

    /// Key values of `item` in ``keyColumns`` order.
    func key(_ item: WorkItem) -> [PostgresValue] {
        switch item {
        case .shard(let id): return [.int(id.block), .int(id.region)]
        case .decodeChunk(let chunk): return [.int(chunk)]
        case .promptEncoding: return [.int(0)]
        case .sourceEncoding(let index): return [.int(index)]
        }
    }
}
