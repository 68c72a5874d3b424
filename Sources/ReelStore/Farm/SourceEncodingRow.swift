import ReelPlan

/// A `source_encodings` row: which source a worker encodes for which item of a job, and the lease.
public struct SourceEncodingRow: Hashable, Sendable {
    public var job: Int64
    /// The item's index in the job's canonical conditioning list.
    public var encoding: Int
    /// The source's bytes, as a blob.
    public var sourceSHA: String
    /// The ``source_latents_cache`` key the result is stored under.
    public var cacheKey: String
    /// The lease columns; `outputSHA` is the latents' blob.
    public var status: WorkStatus

    init(row: PostgresRow) throws(StoreError) {
        job = try row.get("job_id")
        encoding = try row.get("encoding")
        sourceSHA = try row.get("source_sha256")
        cacheKey = try row.get("cache_key")
        status = try WorkStatus(row: row)
    }
}

/// One conditioning source a job needs encoded (or found in the cache).
public struct SourceEncodingRequest: Hashable, Sendable {
    /// The item's index in the job's canonical conditioning list.
    public var encoding: Int
    public var sourceSHA: String
    public var cacheKey: String
    /// The cached latents' blob: the row is created done and no work is made.
    public var cachedLatentsSHA: String?

    public init(encoding: Int, sourceSHA: String, cacheKey: String, cachedLatentsSHA: String? = nil) {
        self.encoding = encoding
        self.sourceSHA = sourceSHA
        self.cacheKey = cacheKey
        self.cachedLatentsSHA = cachedLatentsSHA
    }
}
