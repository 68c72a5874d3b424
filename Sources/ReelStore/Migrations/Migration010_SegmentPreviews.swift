extension Migration {
    /// Each finished decode chunk's preview still (a small JPEG of its first
    /// frame, a blob like the segment), so the dashboard can show the video take
    /// shape while it is decoded. Its own column, not the segment's: segments are
    /// deleted once the video is joined, previews live as long as the video
    /// (``FarmStore/expireFinishedJobs(olderThanDays:limit:)``).
    static let segmentPreviews = Migration(
        version: 10, name: "segment previews",
        sql: #"""
            ALTER TABLE decode_chunks ADD COLUMN preview_sha256 text
                CONSTRAINT decode_chunks_preview_sha256 CHECK (preview_sha256 ~ '^[0-9a-f]{64}$');
            """#)
}
