import ReelPlan

/// A finished decode chunk's preview still (migration 10): which latent frames
/// the chunk decoded and the blob of its first frame's JPEG.
public struct DecodeChunkPreview: Hashable, Sendable {
    public var job: Int64
    public var chunk: Int
    /// The chunk's latent frames (``DecodeChunk/frames``).
    public var frames: Range<Int>
    public var warmup: Int
    public var previewSHA: String
}

extension FarmStore {
    /// Records `previewSHA` as the preview of `chunk`, if the chunk is done with
    /// segment `segmentSHA`, the one the preview was made from; `false`, changing
    /// nothing, when it is not (the chunk was redone meanwhile).
    @discardableResult
    public func setDecodeChunkPreview(job: Int64, chunk: Int, segmentSHA: String, previewSHA: String) throws(StoreError) -> Bool {
        try connection.execute(
            """
            UPDATE decode_chunks SET preview_sha256 = $4
            WHERE job_id = $1 AND chunk = $2 AND state = 'done' AND output_sha256 = $3
            """, [.int64(job), .int(chunk), .text(segmentSHA), .text(previewSHA)], name: "setDecodeChunkPreview"
        ).affectedRows == 1
    }

    /// The previews of `job`'s done decode chunks, in chunk order.
    public func decodeChunkPreviews(job: Int64) throws(StoreError) -> [DecodeChunkPreview] {
        try connection.execute(
            """
            SELECT chunk, frame_begin, frame_end, warmup, preview_sha256 FROM decode_chunks
            WHERE job_id = $1 AND state = 'done' AND preview_sha256 IS NOT NULL ORDER BY chunk
            """, [.int64(job)], name: "decodeChunkPreviews"
        ).map { row throws(StoreError) -> DecodeChunkPreview in
            let begin: Int = try row.get("frame_begin"), end: Int = try row.get("frame_end")
            guard begin < end else { throw .badValue(column: "frame_end", expected: "above frame_begin \(begin)", found: "\(end)") }
            return DecodeChunkPreview(
                job: job, chunk: try row.get("chunk"), frames: begin ..< end, warmup: try row.get("warmup"), previewSHA: try row.get("preview_sha256"))
        }
    }
}
