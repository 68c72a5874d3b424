import Foundation
import Logging
import ReelPlan
import ReelStore

/// Preview stills of finished segments: made and recorded on the `records` lane
/// beside the segment (``recordSegment(_:)``), listed and served on the `queries`
/// lane (`GET /v1/jobs/:id/previews`, `GET /v1/jobs/:id/previews/:chunk`).
extension Coordinator {
    /// The segment's preview, or nil (logged) when it cannot be made: a missing
    /// preview never fails the segment, which the inspector already accepted.
    static func makePreview(
        _ previewer: SegmentPreviewer, _ segment: Data, _ expected: SegmentExpectation, job: Int64, chunk: Int, logger: Logger
    ) -> [UInt8]? {
        do {
            return try previewer(segment, expected)
        } catch {
            logger.warning("no preview for a segment", metadata: ["job": "\(job)", "chunk": "\(chunk)", "error": "\(error)"])
            return nil
        }
    }

    /// Stores `jpeg` as a blob and names it on the chunk's row, if the chunk is
    /// still done with segment `segmentSHA`.
    static func recordPreview(
        _ jpeg: [UInt8], job: Int64, chunk: Int, segmentSHA: String, blobs: BlobStore, store: FarmStore, logger: Logger
    ) {
        do {
            let sha = try blobs.put(jpeg)
            try store.setDecodeChunkPreview(job: job, chunk: chunk, segmentSHA: segmentSHA, previewSHA: sha)
        } catch {
            logger.warning("cannot record a segment's preview", metadata: ["job": "\(job)", "chunk": "\(chunk)", "error": "\(error)"])
        }
    }

    /// `.previews` and `.preview`, on the `queries` lane.
    func answerPreviews(_ entry: CoordinatorMailbox.Entry) {
        let store = queryStore, blobs = blobs
        let work: @Sendable () throws -> CoordinatorMailbox.Reply
        switch entry.command {
        case .previews(let id):
            work = {
                let row = try Self.previewedJob(id, store: store.value)
                // Frame numbers and times come from the job's model and fps, as its decode chunks were laid out.
                let stored = try? StoredJob.decode(row.spec)
                let stride = stored?.model.temporalStride ?? 1, fps = Double(max(1, stored?.request.fps ?? 16))
                // A loop's chunks lie on its circle, so its plan says where their frames fall.
                let plan = stored.flatMap { try? $0.request.makePlan(model: $0.model) }
                let previews = try store.value.decodeChunkPreviews(job: id)
                let recorded = previews.map { (index: $0.chunk, frames: $0.frames, warmup: $0.warmup) }
                let chunks = plan?.decodeChunks(recorded: recorded)
                    ?? recorded.map { DecodeChunk(index: $0.index, frames: $0.frames, warmup: $0.warmup, temporalStride: stride) }
                return .previews(zip(previews, chunks).map { preview, chunk in
                    let pixels = chunk.pixelFrames
                    return FarmAPI.Preview(
                        chunk: preview.chunk, frameBegin: pixels.lowerBound, frameEnd: pixels.upperBound,
                        seconds: Double(pixels.lowerBound) / fps, url: "/v1/jobs/\(id)/previews/\(preview.chunk)")
                })
            }
        case .preview(let id, let chunk):
            work = {
                _ = try Self.previewedJob(id, store: store.value)
                guard let preview = try store.value.decodeChunkPreviews(job: id).first(where: { $0.chunk == chunk }) else {
                    throw APIError.notFound("job \(id) has no preview for segment \(chunk) (yet); GET /v1/jobs/\(id)/previews lists those it has")
                }
                return .file(path: try blobs.path(of: preview.previewSHA).path)
            }
        default:
            return entry.reply(.failure(.internalError("\(entry.command) is not about previews")))
        }
        answerOnQueries(entry.reply, work)
    }

    /// The job's row; 404 when there is none, 410 once its results expired (previews go with the video).
    static func previewedJob(_ id: Int64, store: FarmStore) throws -> JobRow {
        guard let row = try store.job(id: id) else { throw APIError.notFound("there is no job \(id); `reel status` lists the jobs") }
        if let expired = row.expiredAt {
            throw APIError.gone("job \(id)'s previews were deleted on \(expired.date) with its video, under the result retention policy (--keep-results-days)")
        }
        return row
    }
}
