import Foundation
import Logging
import ReelHash
import ReelPlan
import ReelStore
import ReelWire

/// Source encodings' I/O (their claims run on the `statements` lane): the
/// assignment, which carries the source file's bytes, built on the `inputs` lane;
/// encoded latents checked, stored and committed on the `records` lane (the
/// decisions are in `CoordinatorCore+Sources.swift`).
extension Coordinator {
    /// Reads the source's blob (hash-checked) and encodes the assignment, off the loop.
    func buildSourceAssignment(_ order: SourceAssignmentOrder) {
        let blobs = blobs, work = WorkRef.source(job: order.job, order.encoding)
        inputs.submit {
            do {
                let bytes = try blobs.get(order.sourceSHA)
                var assignment = Reel_V1_SourceAssignment()
                assignment.jobID = UInt64(order.job)
                assignment.attempt = UInt32(clamping: order.token)
                assignment.encoding = UInt32(clamping: order.encoding)
                assignment.model = order.model
                assignment.kind = order.kind.rawValue
                assignment.sourceSha256 = Data(SHA256.hash(bytes))
                assignment.source = Data(bytes)
                assignment.width = UInt32(clamping: order.width)
                assignment.height = UInt32(clamping: order.height)
                assignment.fit = order.fit.rawValue
                assignment.firstFrame = UInt32(clamping: order.firstFrame)
                assignment.frameCount = UInt32(clamping: order.frameCount)
                assignment.fps = Double(order.fps)
                assignment.laterForm = order.form == .later
                var envelope = Reel_V1_Envelope()
                envelope.body = .sourceAssignment(assignment)
                return .assignmentBuilt(peer: order.peer, work: work, token: order.token, frames: .success(try WireCodec.encode(envelope, tensors: [])))
            } catch {
                return .assignmentBuilt(
                    peer: order.peer, work: work, token: order.token,
                    frames: .failure(OffLoopFailure("cannot read source \(order.sourceSHA) of conditioning item \(order.encoding): \(error)")))
            }
        }
    }

    /// Checks the latents (shape `[C, t, h, w]` of the item's box, finite), stores
    /// them as a blob and commits, off the loop.
    func recordSourceResult(_ order: SourceResultOrder) {
        let blobs = blobs, store = recordStore, window = config.recordRetryWindow, logger = logger
        let limits = WireLimits(maxMessageBytes: config.maxMessageBytes)
        records.submit {
            let outcome: RecordOutcome
            do {
                let message = try WireCodec.decode(order.frames, limits: limits)
                guard case .sourceResult(let result)? = message.envelope.body else { return Self.sourceRecorded(order, .invalid("the message is not a source result")) }
                guard let tensor = message.tensor(for: result.latents) else { return Self.sourceRecorded(order, .invalid("source_result.latents is missing")) }
                guard tensor.shape == order.shape else {
                    return Self.sourceRecorded(order, .invalid("source_result.latents has shape \(tensor.shape), expected \(order.shape)"))
                }
                guard tensor.isFinite else { return Self.sourceRecorded(order, .invalid("source_result.latents contains NaN or Inf")) }
                // The codec checked the frame against its SHA-256: it is stored under it,
                // as received (a minute's edit at 832×480 is 96 MB; converting it to
                // floats and back cost two more copies of that).
                let sha = SHA256.hex(Array(result.latents.sha256))
                var failure: StoreError?
                order.frames[Int(result.latents.frameIndex)].withUnsafeBytes { raw in
                    do throws(StoreError) { try blobs.put(raw, sha256: sha) } catch { failure = error }
                }
                if let failure { throw failure }
                let compute = result.hasTimings ? Int64(clamping: result.timings.computeMs) : nil
                let recorded = Self.recordWithRetry(
                    store: store.value, window: window, logger: logger, item: .sourceEncoding(order.encoding), job: order.job, sha: sha
                ) {
                    try store.value.completeSourceEncoding(
                        job: order.job, encoding: order.encoding, attempt: order.token, worker: order.worker, model: order.model,
                        latentsSHA: sha, computeMilliseconds: compute, firstShards: order.firstShards, cache: order.cache) ? [] : nil
                } settle: { (status: WorkStatus) -> [ShardID]? in
                    status.state == .done && status.outputSHA == sha && status.attempt == order.token ? [] : nil
                }
                outcome = recorded
            } catch let error as WireError {
                outcome = .invalid("\(error)")
            } catch {
                outcome = .unrecorded("cannot store the source latents: \(error)")
            }
            return Self.sourceRecorded(order, outcome)
        }
    }

    private static func sourceRecorded(_ order: SourceResultOrder, _ outcome: RecordOutcome) -> LoopEvent {
        .sourceRecorded(peer: order.peer, worker: order.worker, job: order.job, encoding: order.encoding, attempt: order.token, outcome: outcome)
    }
}
