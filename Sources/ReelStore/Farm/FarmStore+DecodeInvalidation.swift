import ReelPlan

/// What the reset of a decoding job changed: the abandoned decode's latents,
/// chunks and segments (so the coordinator can stop their leases and delete their
/// blobs), and the shards moved back (as ``FarmStore/invalidateShards(job:shards:candidates:reason:)`` reports them).
public struct InvalidatedDecode: Sendable, Equatable {
    /// One decode chunk moved back to ready.
    public struct Chunk: Sendable, Equatable {
        public var chunk: Int
        /// Its state before (done, leased or failed).
        public var previous: ShardState.Name
        /// The lease holder, or the worker whose segment was stored.
        public var worker: String?
        /// Its fencing token (kept: a segment from the revoked lease is stale).
        public var attempt: Int
        /// The abandoned segment and its preview, if one was stored.
        public var segmentSHA: String?
        public var previewSHA: String?

        public init(chunk: Int, previous: ShardState.Name, worker: String?, attempt: Int, segmentSHA: String?, previewSHA: String?) {
            self.chunk = chunk
            self.previous = previous
            self.worker = worker
            self.attempt = attempt
            self.segmentSHA = segmentSHA
            self.previewSHA = previewSHA
        }
    }

    /// The blended latents of the abandoned decode.
    public var latentsSHA: String?
    /// Chunks that were not ready, now ready again.
    public var chunks: [Chunk]
    /// The shards moved back to pending or ready.
    public var shards: [InvalidatedShard]

    public init(latentsSHA: String?, chunks: [Chunk], shards: [InvalidatedShard]) {
        self.latentsSHA = latentsSHA
        self.chunks = chunks
        self.shards = shards
    }
}

/// Invalidation reaching a decoding job: its decode is abandoned and its shards
/// redone, in one transaction (migration 13 allows the moves only as counted
/// invalidations).
extension FarmStore {
    /// Moves decoding `job` back to running (`latents_sha256` cleared), each of its
    /// decode chunks that is not ready back to ready (segment, preview, worker and
    /// lease cleared, tries given back, `attempt` kept), and resets `shards` as
    /// ``invalidateShards(job:shards:candidates:reason:)`` does, all with `reason`
    /// and in one transaction. `nil`, changing nothing, if the job is not decoding
    /// (it was joined, failed or cancelled meanwhile).
    public func invalidateDecodingJob(
        job: Int64, shards: [ShardID], candidates: [(shard: ShardID, inputs: [ShardID])], reason: String
    ) throws(StoreError) -> InvalidatedDecode? {
        try connection.transaction { () throws(StoreError) -> InvalidatedDecode? in
            try lockReadiness(job: job)
            let moved = try connection.execute(
                """
                WITH old AS (SELECT id, latents_sha256 FROM jobs WHERE id = $1 AND state = 'decoding' FOR UPDATE)
                UPDATE jobs j SET state = 'running', latents_sha256 = NULL, updated_at = now(),
                    invalidations = j.invalidations + 1, invalidation_reason = $2
                FROM old WHERE j.id = old.id
                RETURNING old.latents_sha256 AS latents
                """, [.int64(job), .text(reason)], name: "invalidateDecodingJob.job")
            guard let row = moved.first else { return nil }
            let latents: String? = try row.get("latents")
            var chunks: [InvalidatedDecode.Chunk] = []
            for row in try connection.execute(
                """
                WITH old AS (
                    SELECT chunk, state, worker, attempt, output_sha256, preview_sha256 FROM decode_chunks
                    WHERE job_id = $1 AND state IN ('done', 'leased', 'failed') FOR UPDATE)
                UPDATE decode_chunks c SET state = 'ready', worker = NULL, lease_expires_at_ms = NULL, not_before_ms = NULL,
                    output_sha256 = NULL, preview_sha256 = NULL, reason = NULL, tries = 0, leased_at_ms = NULL, compute_ms = NULL,
                    invalidations = c.invalidations + 1, invalidation_reason = $2
                FROM old WHERE c.job_id = $1 AND c.chunk = old.chunk
                RETURNING c.chunk, old.state::text AS previous, old.worker, old.attempt, old.output_sha256 AS segment, old.preview_sha256 AS preview
                """, [.int64(job), .text(reason)], name: "invalidateDecodingJob.chunks")
            {
                chunks.append(
                    InvalidatedDecode.Chunk(
                        chunk: try row.get("chunk"), previous: try row.get("previous"), worker: try row.get("worker"),
                        attempt: try row.get("attempt"), segmentSHA: try row.get("segment"), previewSHA: try row.get("preview")))
            }
            try appendEvent(
                kind: .jobInvalidated, job: job,
                detail: "decoding abandoned (latents \(latents.map { String($0.prefix(12)) } ?? "none"), \(chunks.count) chunks back to ready): \(reason)")
            let rows = try invalidateShards(job: job, shards: shards, candidates: candidates, reason: reason)
            return InvalidatedDecode(latentsSHA: latents, chunks: chunks.sorted { $0.chunk < $1.chunk }, shards: rows)
        }
    }

    /// How many times `job`'s decode was abandoned, and each of its chunks reset.
    public func decodeInvalidations(job: Int64) throws(StoreError) -> (job: Int, chunks: [Int: Int]) {
        let jobCount: Int = try connection.execute("SELECT invalidations FROM jobs WHERE id = $1", [.int64(job)], name: "decodeInvalidations.job")
            .first?.get("invalidations") ?? 0
        var chunks: [Int: Int] = [:]
        for row in try connection.execute(
            "SELECT chunk, invalidations FROM decode_chunks WHERE job_id = $1 AND invalidations > 0", [.int64(job)], name: "decodeInvalidations.chunks")
        {
            chunks[try row.get("chunk")] = try row.get("invalidations")
        }
        return (jobCount, chunks)
    }
}

extension EventKind {
    /// A decoding job went back to running: a lost ballot's cone reached its last block.
    public static let jobInvalidated: EventKind = "job.invalidated"
}
