import Foundation
import ReelHash
import ReelPlan
import ReelTensor
import ReelWire

/// Source encodings (issue 16): a job's conditioning source read through the
/// worker's ``SourceReader``, conformed, and VAE-encoded to the latents its shards pin.
extension Worker {
    func accept(_ a: Reel_V1_SourceAssignment) {
        let key = RunningKey(job: Int64(clamping: a.jobID), kind: .source(Int(a.encoding)), attempt: Int(a.attempt))
        guard !draining, busySlots < config.slots + Self.prefetch else {
            sendFailure(key, WorkerError(.cancelled, "worker \(config.name) has no free slot (draining or full)"))
            return
        }
        guard let reader = config.sourceReader else {
            sendFailure(key, WorkerError(.modelNotFound, "worker \(config.name) does not read conditioning sources"))
            return
        }
        let digest = SHA256.hex(SHA256.hash(Array(a.source)))
        guard !a.source.isEmpty, Data(SHA256.hash(Array(a.source))) == a.sourceSha256 else {
            sendFailure(key, WorkerError(.invalidInput, "the source's bytes (\(a.source.count)) do not match source_sha256"))
            return
        }
        guard let kind = ConditioningSource.Kind(rawValue: a.kind), let fit = SourceFit(rawValue: a.fit),
            (1 ... 16384).contains(a.width), (1 ... 16384).contains(a.height), a.fps > 0, a.fps <= 1000, (1 ... 100_000).contains(a.frameCount)
        else {
            sendFailure(
                key,
                WorkerError(
                    .invalidInput,
                    "source assignment: kind '\(a.kind.prefix(16))', fit '\(a.fit.prefix(16))', \(a.width)×\(a.height), \(a.fps) fps, "
                        + "\(a.frameCount) frames: expected image|video, crop|pad|stretch, sizes 1…16384, fps in (0, 1000], 1…100000 frames"))
            return
        }
        let source = SourceBytes(
            bytes: Array(a.source), kind: kind, digest: digest, firstFrame: Int(a.firstFrame), frameCount: Int(a.frameCount))
        let (width, height, fps, model) = (Int(a.width), Int(a.height), a.fps, a.model)
        let form: SourceForm = a.laterForm ? .later : .first
        start(key) { executor, running throws(WorkerError) in
            // Frames go from the reader to the VAE's encoder a few at a time: a minute-long
            // source conformed whole is gigabytes of floats, its latents a small fraction.
            let latents = try executor.encodeSource(model: model, form: form) { feed throws(WorkerError) in
                try reader.frames(of: source, width: width, height: height, fit: fit, fps: fps) { batch throws(WorkerError) in
                    if running.cancelled { throw WorkerError(.cancelled, "cancelled by the coordinator") }
                    try feed(batch)
                }
            }
            guard latents.isFinite else { throw WorkerError(.nonFiniteOutput, "source \(digest.prefix(12))… encoded to NaN or Inf") }
            return .sourceLatents(latents)
        }
    }

    /// The result message of a source encoding: `[C, t, h, w]` latents.
    func sourceResult(_ done: FinishedTask, _ latents: Tensor) throws -> (Reel_V1_Envelope, [WireTensor]) {
        guard case .source(let index) = done.key.kind else { throw WorkerError(.internalError, "not a source encoding") }
        var result = Reel_V1_SourceResult()
        result.jobID = UInt64(done.key.job)
        result.attempt = UInt32(done.key.attempt)
        result.encoding = UInt32(index)
        var header = Reel_V1_TensorHeader()
        header.name = "source_latents"
        result.latents = header
        var timings = Reel_V1_Timings()
        timings.computeMs = UInt64(done.computeMilliseconds)
        result.timings = timings
        logger.info(
            "source encoded", metadata: ["job": "\(done.key.job)", "encoding": "\(index)", "shape": "\(latents.shape)", "compute_ms": "\(done.computeMilliseconds)"])
        var envelope = Reel_V1_Envelope()
        envelope.body = .sourceResult(result)
        return (envelope, [try WireTensor(name: "source_latents", shape: latents.shape, values: latents.storage)])
    }
}
