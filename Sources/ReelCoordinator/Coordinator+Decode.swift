import Foundation
import Logging
import ReelHash
import ReelPlan
import ReelStore
import ReelTensor
import ReelWire

/// The decode stage's lane work that ``CoordinatorCore`` orders: the finished
/// latents blended to disk, chunk assignments cut from them, segments checked and
/// stored, and the segments joined into the job's video without re-encoding (the
/// decisions are in `CoordinatorCore+Decode.swift`).
extension Coordinator {
    /// Blends the clip into a blob and records `latents_sha256` and the decode
    /// chunks, off the loop.
    func blendClip(job id: Int64, plan: Plan, outputs: [Int: String], chunks: [DecodeChunk]) {
        let blobs = blobs, store = recordStore, window = config.recordRetryWindow, logger = logger
        let span = max(1, min(plan.config.window, plan.latent.frames))
        records.submit {
            let sha: String
            do {
                sha = try ClipBlend.blend(plan: plan, outputs: outputs, blobs: blobs, spanFrames: span)
            } catch {
                return .clipBlended(job: id, outcome: .failure(OffLoopFailure("cannot blend the finished latents: \(error)")))
            }
            let moved = Self.retrying(window: window, logger: logger, what: "start decoding job \(id)") {
                try store.value.startDecoding(job: id, latentsSHA: sha, chunks: chunks)
            }
            switch moved {
            case .success(true): return .clipBlended(job: id, outcome: .success(BlendedClip(latentsSHA: sha, chunks: chunks)))
            case .success(false):
                return .clipBlended(job: id, outcome: .failure(OffLoopFailure("job \(id) was no longer running in the database")))
            case .failure(let error):
                return .clipBlended(job: id, outcome: .failure(OffLoopFailure("cannot start decoding: \(error)", transient: true)))
            }
        }
    }

    /// Runs `body` until it succeeds, `settle` answers for a failure (it may read
    /// back what a lost commit did), or `window` has passed; the pause between
    /// tries doubles from 100 ms to 5 s. For work on a lane whose database may be
    /// away for a while: the result waits on disk meanwhile.
    static func retrying<T>(
        window: Duration, logger: Logger, what: String, _ body: () throws -> T, settle: (any Error) -> T? = { _ in nil }
    ) -> Result<T, any Error> {
        let deadline = ContinuousClock.now + window
        var pause = Duration.milliseconds(100)
        while true {
            do { return .success(try body()) } catch {
                if let settled = settle(error) { return .success(settled) }
                guard ContinuousClock.now < deadline else { return .failure(error) }
                logger.warning("cannot \(what) yet; retrying", metadata: ["error": "\(error)"])
                Thread.sleep(forTimeInterval: pause.realSeconds)
                pause = min(pause * 2, .seconds(5))
            }
        }
    }

    /// Builds a decode chunk's assignment on the `inputs` lane: its latent frames
    /// read from the finished clip.
    func buildChunkAssignment(_ order: ChunkAssignmentOrder) {
        let chunk = order.chunk, latent = order.latent, latentsSHA = order.latentsSHA, blobs = blobs
        let (peer, id, token, index) = (order.peer, order.job, order.token, order.chunk.index)
        let work = WorkRef.chunk(job: id, index)
        var assignment = Reel_V1_DecodeAssignment()
        assignment.jobID = UInt64(id)
        assignment.chunk = UInt32(index)
        assignment.attempt = UInt32(token)
        assignment.model = order.model
        assignment.frameBegin = UInt32(chunk.frames.lowerBound)
        assignment.frameEnd = UInt32(chunk.frames.upperBound)
        assignment.warmupFrames = UInt32(chunk.warmup)
        assignment.normalize = true
        assignment.laterStart = order.laterStart
        var encoding = Reel_V1_VideoEncoding()
        encoding.fps = UInt32(order.fps)
        encoding.crf = config.crf
        encoding.preset = config.preset
        encoding.still = order.still
        assignment.encoding = encoding
        var header = Reel_V1_TensorHeader()
        header.name = "latents"
        assignment.latents = header
        let message = assignment
        inputs.submit {
            do {
                // A looped clip's chunk 0 reads the clip's tail, then its own frames.
                let values = try ClipBlend.read(latentsSHA, latent: latent, frames: chunk.inputRanges, blobs: blobs)
                let tensor = try WireTensor(
                    name: "latents", shape: [latent.channels, chunk.inputFrames.count, latent.height, latent.width], values: values)
                var envelope = Reel_V1_Envelope()
                envelope.body = .decodeAssignment(message)
                return .assignmentBuilt(peer: peer, work: work, token: token, frames: .success(try WireCodec.encode(envelope, tensors: [tensor])))
            } catch {
                return .assignmentBuilt(
                    peer: peer, work: work, token: token,
                    frames: .failure(OffLoopFailure("cannot read the latents of decode chunk \(index): \(error)")))
            }
        }
    }

    /// Checks, stores and records a segment on the `records` lane.
    func recordSegment(_ order: SegmentResultOrder) {
        let (peer, id, index, token, name, expectedFrames, result) = (order.peer, order.job, order.chunk, order.token, order.worker, order.expectedFrames, order.result)
        let blobs = blobs, store = recordStore, window = config.recordRetryWindow, logger = logger, inspector = segmentInspector, previewer = segmentPreviewer
        let (width, height, still) = (order.width, order.height, order.still)
        let records = records
        // Checked (and its preview made) on the parser lane, stored and committed on
        // the records lane: decoding a segment twice is the largest cost of a decode
        // chunk on the coordinator, and the records lane is its busiest thread.
        parser.submit {
            do {
                try WireCodec.checkSegment(result)
            } catch {
                return .segmentRecorded(peer: peer, worker: name, job: id, chunk: index, attempt: token, outcome: .invalid("\(error)"))
            }
            guard Int(result.frameCount) == expectedFrames else {
                return .segmentRecorded(
                    peer: peer, worker: name, job: id, chunk: index, attempt: token,
                    outcome: .invalid("segment has \(result.frameCount) frames, expected \(expectedFrames)"))
            }
            // The worker's own frame count is a claim; the stream itself must bear it out.
            if let inspector {
                do {
                    try inspector(result.segment, SegmentExpectation(frames: expectedFrames, width: width, height: height, still: still))
                } catch {
                    let kind = still ? "PNG image" : "H.264 segment of \(expectedFrames) frames"
                    return .segmentRecorded(
                        peer: peer, worker: name, job: id, chunk: index, attempt: token,
                        outcome: .invalid("segment is not a well-formed \(kind) at \(width)×\(height): \(error)"))
                }
            }
            // Made before the commit, recorded right after it: the dashboard,
            // woken by the chunk's event, then finds the preview too.
            // A still is its own preview: only video segments get one.
            let preview = still ? nil : previewer.flatMap {
                Self.makePreview($0, result.segment, SegmentExpectation(frames: expectedFrames, width: width, height: height), job: id, chunk: index, logger: logger)
            }
            records.submit {
                let outcome: RecordOutcome
                do {
                    // Its digest was checked against the bytes on the parser lane: stored under it.
                    var stored: Result<String, StoreError> = .failure(.invalidArgument("segment not stored"))
                    let digest = SHA256.hex(Array(result.segmentSha256))
                    result.segment.withUnsafeBytes { raw in stored = Result { () throws(StoreError) in try blobs.put(raw, sha256: digest) } }
                    let sha = try stored.get()
                    let item = WorkItem.decodeChunk(index)
                    outcome = Self.recordWithRetry(store: store.value, window: window, logger: logger, item: item, job: id, sha: sha) {
                        let committed = try store.value.completeDecodeChunk(
                            job: id, chunk: index, attempt: token, worker: name, outputSHA: sha,
                            computeMilliseconds: result.hasTimings ? Self.computeMilliseconds(result.timings) : nil)
                        return committed ? [] : nil
                    } settle: { (status: WorkStatus) -> [ShardID]? in
                        let done = status.state == ShardState.Name.done && status.outputSHA == sha && status.attempt == token
                        return done ? [] : nil
                    }
                    if case .committed(let segmentSHA, _) = outcome, let preview {
                        Self.recordPreview(preview, job: id, chunk: index, segmentSHA: segmentSHA, blobs: blobs, store: store.value, logger: logger)
                    }
                } catch {
                    outcome = .unrecorded("cannot store the segment: \(error)")
                }
                return .segmentRecorded(peer: peer, worker: name, job: id, chunk: index, attempt: token, outcome: outcome)
            }
            return .none
        }
    }

    /// Joins the segments into the video (packets copied, not re-encoded) and
    /// stores it by content on the `joins` lane, then marks the job done on
    /// `records`, both off the loop.
    func joinVideo(job id: Int64, description: VideoDescription, segments: [String], latentsSHA: String) {
        let blobs = blobs, joiner = videoJoiner, records = records, store = recordStore
        let window = config.recordRetryWindow, logger = logger
        joins.submit {
            let videoSHA: String
            do {
                let paths = try segments.map { sha throws(StoreError) in try blobs.path(of: sha) }
                let output = try blobs.temporaryFile().appendingPathExtension(description.still ? "png" : "mp4")
                defer { try? FileManager.default.removeItem(at: output) }
                try joiner(try Self.resolveExtendSource(description, blobs: blobs), paths, output)
                videoSHA = try blobs.adopt(output)
            } catch {
                return .videoJoined(job: id, outcome: .failure(OffLoopFailure("cannot join the video: \(error)")))
            }
            // The job's record, on `records` (its connection is that lane's).
            records.submit {
                let finished = Self.retrying(window: window, logger: logger, what: "record job \(id) as succeeded") {
                    try store.value.finishJob(id: id, latentsSHA: latentsSHA, outputSHA: videoSHA)
                }
                switch finished {
                case .success(true): return .videoJoined(job: id, outcome: .success(videoSHA))
                case .success(false):
                    return .videoJoined(job: id, outcome: .failure(OffLoopFailure("job \(id) was no longer decoding in the database")))
                case .failure(let error):
                    return .videoJoined(job: id, outcome: .failure(OffLoopFailure("cannot record the video: \(error)", transient: true)))
                }
            }
            return .none
        }
    }
}
