import Foundation
import ReelHash
import ReelPlan
import ReelStore

/// Admitting a job with conditioning items: every source must have been uploaded
/// (`PUT /v1/sources/{sha256}`), and each item becomes a source encoding, done at
/// once when the latents cache holds the same encoding (same source, model,
/// conformed size, fit, frames and fps).
extension Coordinator {
    /// 400 unless the blob store holds every source the job names. A `stat` per
    /// item (at most ``ConditioningPlan/maxItems``), so it runs on the loop,
    /// where the answer is given at once.
    func checkSourcesUploaded(_ request: JobRequest) throws(APIError) {
        for digest in (request.conditioning ?? []).map(\.source.digest) where !blobs.contains(digest) {
            throw .badRequest(
                "source \(digest) has not been uploaded: upload it with PUT /v1/sources/\(digest) (reel submit does this)")
        }
    }

    /// 400 when an item's encoded latents would not fit in one message: the worker
    /// returns them in one `SourceResult`, `[C, t, h, w]` floats over the item's box
    /// (a minute's edit at 832×480 is 96 MB; the default limit of 512 MiB holds about
    /// 5.6 minutes of it at 16 fps). Such a job would otherwise have its encoding
    /// refused by the socket on every try and fail without saying why.
    static func checkSourceLatentsFit(_ conditioning: ConditioningPlan?, stride: Int, maxMessageBytes: Int) throws(APIError) {
        // Room for the envelope and the frames' headers.
        let room = maxMessageBytes - (1 << 20)
        for resolved in conditioning?.items ?? [] {
            let box = resolved.box
            let bytes = box.count * MemoryLayout<Float>.size
            guard bytes > room else { continue }
            let perFrame = box.channels * box.rows.length * box.columns.length * MemoryLayout<Float>.size
            let fitting = room / perFrame
            let advice =
                fitting < 1
                ? "not one latent frame of it fits at this size: use a smaller size"
                : "use at most \((fitting - 1) * stride + 1) of its frames at this size"
                    + (resolved.item.mode == .start ? " (edit a longer video in parts, a job each)" : "")
            throw .badRequest(
                "conditioning source \(resolved.item.source.digest) (\(resolved.item.mode.rawValue)) encodes to \(box.frames.length) latent "
                    + "frames, \(bytes >> 20) MiB, more than one message of the farm's \(maxMessageBytes >> 20) MiB holds: \(advice)")
        }
    }

    /// The source encodings of a job with `conditioning`, one per item in canonical
    /// order, each with its cache key and, when the cache holds its latents (and
    /// their blob is still there), created done. Runs on the `records` lane.
    static func sourceEncodings(
        _ conditioning: ConditioningPlan?, request: JobRequest, modelDigest: String, store: FarmStore, blobs: BlobStore
    ) throws(StoreError) -> [SourceEncodingRequest] {
        guard let conditioning else { return [] }
        var result: [SourceEncodingRequest] = []
        for (index, resolved) in conditioning.items.enumerated() {
            let key = sourceCacheKey(resolved, request: request, modelDigest: modelDigest)
            var cached = try store.cachedSourceLatents(key: key)
            if let hit = cached, !blobs.contains(hit) {
                // Deleted under the retention policy: encode again.
                try store.forgetCachedSourceLatents(key: key)
                cached = nil
            }
            result.append(
                SourceEncodingRequest(encoding: index, sourceSHA: resolved.item.source.digest, cacheKey: key, cachedLatentsSHA: cached))
        }
        return result
    }

    /// The latents cache's key: SHA-256 over what decides the encoding — the
    /// model's digest (its name when workers report none), the source's digest,
    /// the conformed size, the fit, the frame range, the job's fps and, for a later-form
    /// encoding, its form. A first-form key is what it was before forms existed, so the
    /// cache keeps its entries; those encoded first form where later form was due get a
    /// new key and are encoded again.
    static func sourceCacheKey(_ resolved: ResolvedConditioning, request: JobRequest, modelDigest: String) -> String {
        let item = resolved.item, source = item.source
        let size = resolved.conformedSize(frameWidth: request.width, frameHeight: request.height)
        let parts =
            [
                modelDigest.isEmpty ? "model:" + request.model : "digest:" + modelDigest, source.kind.rawValue, source.digest,
                "\(size.width)x\(size.height)", (item.fit ?? .crop).rawValue, "\(source.firstFrame ?? 0)", "\(source.pixelFrames)",
                "\(request.fps)",
            ] + (resolved.form == .later ? ["form:later"] : [])
        // Each part after its length, so no two lists share bytes.
        return SHA256.hex(SHA256.hash(parts.flatMap { Array("\($0.utf8.count):".utf8) + Array($0.utf8) }))
    }

    /// Creates the job's rows: with its source encodings when it has any (the
    /// first block then waits on them unless all were cached), else as before.
    static func createJob(
        in store: FarmStore, request: JobRequest, spec: String, promptSHA: String?, negativeSHA: String?, shards: [ShardID],
        firstShards: [ShardID], promptEncoding: PromptEncodingRequest?, sources: [SourceEncodingRequest]
    ) throws(StoreError) -> Int64 {
        if sources.isEmpty, let promptEncoding {
            return try store.createJob(
                name: request.name ?? "", model: request.model, spec: spec, priority: request.priority, shards: shards, encoding: promptEncoding)
        }
        if sources.isEmpty {
            return try store.createJob(
                name: request.name ?? "", model: request.model, spec: spec, promptEmbedsSHA: promptSHA, negativeEmbedsSHA: negativeSHA,
                priority: request.priority, shards: shards, readyShards: Set(firstShards))
        }
        return try store.createJob(
            name: request.name ?? "", model: request.model, spec: spec, promptEmbedsSHA: promptSHA, negativeEmbedsSHA: negativeSHA,
            priority: request.priority, shards: shards, firstShards: firstShards, promptEncoding: promptEncoding, sources: sources)
    }

    /// Memory's copy of the source encodings just created.
    static func sourceProgress(_ sources: [SourceEncodingRequest], policy: RetryPolicy) -> [Int: SourceEncodingProgress] {
        var progress: [Int: SourceEncodingProgress] = [:]
        for source in sources {
            let machine =
                source.cachedLatentsSHA == nil
                ? ShardStateMachine.ready(policy: policy) : ShardStateMachine(state: .done(worker: "", attempt: 0), policy: policy)
            progress[source.encoding] = SourceEncodingProgress(machine: machine, token: 0, latentsSHA: source.cachedLatentsSHA)
        }
        return progress
    }
}
