import Foundation
import Logging
import ReelHash
import ReelPlan
import ReelStore
import ReelTensor
import ReelText
import ReelWire

/// Prompt encodings' I/O (their claims run on the `statements` lane): encoded prompts checked, stored and
/// committed on the `records` lane (the decisions are in `CoordinatorCore+Prompts.swift`).
extension Coordinator {
    /// Checks the tensors (shape `[1, textTokens, textDim]`, finite), stores each
    /// as the `(L, D)` floats `--prompt-embeds` would have stored (so the blob is
    /// the same), and commits, off the loop.
    func recordPromptResult(_ order: PromptResultOrder) {
        let blobs = blobs, store = recordStore, window = config.recordRetryWindow, logger = logger, limits = WireLimits(maxMessageBytes: config.maxMessageBytes)
        records.submit {
            let outcome: PromptRecordOutcome
            do {
                let message = try WireCodec.decode(order.frames, limits: limits)
                guard case .promptResult(let result)? = message.envelope.body else {
                    return Self.promptRecorded(order, .invalid("the message is not a prompt result"))
                }
                let expected = [1, order.textTokens, order.textDim]
                func values(_ header: Reel_V1_TensorHeader, _ name: String) throws -> [Float]? {
                    guard let tensor = message.tensor(for: header) else { return nil }
                    guard tensor.shape == expected else { throw PromptResultError("\(name) has shape \(tensor.shape), expected \(expected)") }
                    let floats = tensor.values
                    guard floats.allSatisfy(\.isFinite) else { throw PromptResultError("\(name) contains NaN or Inf") }
                    return floats
                }
                guard let positive = try values(result.positive, "prompt_result.positive") else {
                    return Self.promptRecorded(order, .invalid("prompt_result.positive is missing"))
                }
                let negative = result.hasNegative ? try values(result.negative, "prompt_result.negative") : nil
                guard (negative != nil) == order.negative else {
                    return Self.promptRecorded(order, .invalid(order.negative ? "prompt_result.negative is missing" : "prompt_result.negative was not asked for"))
                }
                guard result.later.count == order.laterLabels.count else {
                    return Self.promptRecorded(
                        order, .invalid("prompt_result.later has \(result.later.count) embeddings, the assignment asked for \(order.laterLabels.count)"))
                }
                var later: [[Float]] = []
                for (index, header) in result.later.enumerated() {
                    guard let floats = try values(header, "prompt_result.later[\(index)]") else {
                        return Self.promptRecorded(order, .invalid("prompt_result.later[\(index)] is missing"))
                    }
                    later.append(floats)
                }
                let promptSHA = try blobs.putFloats(positive)
                let negativeSHA = try negative.map { values throws(StoreError) in try blobs.putFloats(values) }
                let laterSHAs = try later.map { values throws(StoreError) in try blobs.putFloats(values) }
                let notes = Self.truncationNotes(
                    result, maxTokens: order.textTokens, promptLabel: order.promptLabel, laterLabels: order.laterLabels)
                outcome = Self.commitEncoding(
                    order, store: store.value, window: window, logger: logger, promptSHA: promptSHA, negativeSHA: negativeSHA, laterSHAs: laterSHAs,
                    events: notes.map { (kind: EventKind.promptTruncated, detail: $0) })
            } catch let error as WireError {
                outcome = .invalid("\(error)")
            } catch let error as PromptResultError {
                outcome = .invalid(error.description)
            } catch {
                outcome = .unrecorded("cannot store the prompt embeddings: \(error)")
            }
            return Self.promptRecorded(order, outcome)
        }
    }

    private static func promptRecorded(_ order: PromptResultOrder, _ outcome: PromptRecordOutcome) -> LoopEvent {
        .promptRecorded(peer: order.peer, worker: order.worker, job: order.job, attempt: order.token, outcome: outcome)
    }

    private static func commitEncoding(
        _ order: PromptResultOrder, store: FarmStore, window: Duration, logger: Logger, promptSHA: String, negativeSHA: String?,
        laterSHAs: [String], events: [(kind: EventKind, detail: String)]
    ) -> PromptRecordOutcome {
        let outcome = recordWithRetry(store: store, window: window, logger: logger, item: .promptEncoding, job: order.job, sha: promptSHA) {
            try store.completePromptEncoding(
                job: order.job, attempt: order.token, worker: order.worker, model: order.model, promptSHA: promptSHA,
                negativeSHA: negativeSHA, laterSHAs: laterSHAs, readyShards: order.firstShards, events: events) ? [] : nil
        } settle: { (status: WorkStatus) -> [ShardID]? in
            status.state == .done && status.outputSHA == promptSHA && status.attempt == order.token ? [] : nil
        }
        switch outcome {
        case .committed: return .committed(promptSHA: promptSHA, negativeSHA: negativeSHA, laterSHAs: laterSHAs)
        case .stale(let why): return .stale(why)
        case .invalid(let why): return .invalid(why)
        case .unrecorded(let why): return .unrecorded(why)
        }
    }
}

/// An encoded prompt a worker sent that cannot be used (shape, NaN).
struct PromptResultError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension Coordinator {
    /// Stores a job whose prompt a worker encodes, off the loop: from the
    /// embeddings cache if the same model digest and texts were encoded before
    /// (the job then starts like any other), or with a prompt encoding its shards
    /// wait on.
    func submitForEncoding(
        _ admitted: AdmittedJob, idempotencyKey: String?, reply: @escaping @Sendable (Result<CoordinatorMailbox.Reply, APIError>) -> Void
    ) throws {
        guard let texts = admitted.encoding else { return }
        let (request, model, plan) = (admitted.request, admitted.model, admitted.plan)
        try JobTimeline.checkEncodedSize(texts, model: model, maxMessageBytes: config.maxMessageBytes)
        let warmup = core.decodeWarmup(of: request.model)
        let key = Self.embeddingsCacheKey(digest: core.modelDigest(request.model), model: request.model, prompt: texts.prompt, negative: texts.negative)
        let blobs = blobs, store = recordStore, policy = config.policy, logger = logger, conditioning = admitted.conditioning
        let modelDigest = core.modelDigest(request.model)
        records.submit {
            do {
                // The lane is serial, so two submissions with one key cannot both miss here.
                if let idempotencyKey, let existing = try store.value.job(idempotencyKey: idempotencyKey) {
                    reply(Self.resubmission(existing, key: idempotencyKey, request: request))
                    return .none
                }
                var stored = StoredJob(request: request, model: model, decodeWarmup: warmup)
                let shards = plan.shards
                // The cache holds one prompt (and its negative) per key, so a
                // timeline's prompts are all encoded; its first prompt is cached.
                var cached = texts.later.isEmpty ? try store.value.cachedEmbeddings(key: key) : nil
                if let hit = cached, !([hit.promptSHA] + [hit.negativeSHA].compactMap { $0 }).allSatisfy(blobs.contains) {
                    // Deleted under the retention policy: encode again.
                    try store.value.forgetCachedEmbeddings(key: key)
                    cached = nil
                }
                let firstShards = shards.filter { $0.block == 0 }
                let sources = try Self.sourceEncodings(
                    conditioning, request: request, modelDigest: modelDigest, store: store.value, blobs: blobs)
                let ready = cached == nil || sources.contains { $0.cachedLatentsSHA == nil } ? [] : Set(firstShards)
                let id: Int64
                if let cached {
                    stored.embeddings = .cache
                    let spec = try stored.json()
                    id = try store.value.creatingJob(idempotencyKey: idempotencyKey) { () throws(StoreError) -> Int64 in
                        try Self.createJob(
                            in: store.value, request: request, spec: spec, promptSHA: cached.promptSHA, negativeSHA: cached.negativeSHA,
                            shards: shards, firstShards: firstShards, promptEncoding: nil, sources: sources)
                    }
                    logger.info("prompt embeddings from the cache", metadata: ["job": "\(id)", "prompt_embeds": "\(cached.promptSHA)"])
                } else {
                    stored.embeddings = .worker
                    let spec = try stored.json()
                    id = try store.value.creatingJob(idempotencyKey: idempotencyKey) { () throws(StoreError) -> Int64 in
                        try Self.createJob(
                            in: store.value, request: request, spec: spec, promptSHA: nil, negativeSHA: nil, shards: shards,
                            firstShards: firstShards,
                            promptEncoding: PromptEncodingRequest(
                                prompt: texts.prompt, negativePrompt: texts.negative, cacheKey: key, laterPrompts: texts.later),
                            sources: sources)
                    }
                }
                var records: [ShardID: ShardRecord] = [:]
                for shard in shards {
                    let machine = ready.contains(shard) ? ShardStateMachine.ready(policy: policy) : ShardStateMachine(policy: policy)
                    records[shard] = ShardRecord(machine: machine, token: 0, outputSHA: nil)
                }
                var job = JobRuntime(
                    id: id, request: request, model: model, plan: plan, promptSHA: cached?.promptSHA ?? "", negativeSHA: cached?.negativeSHA,
                    decodeWarmup: warmup, machine: JobStateMachine(state: .running(attempt: 1)), shards: records)
                job.conditioning = conditioning
                job.sources = Self.sourceProgress(sources, policy: policy)
                if cached == nil {
                    job.encoding = PromptEncodingProgress(
                        prompt: texts.prompt, negativePrompt: texts.negative, machine: .ready(policy: policy), token: 0, laterPrompts: texts.later)
                }
                return .jobStored(.success(job), reply: reply)
            } catch {
                return .jobStored(.failure(OffLoopFailure("the coordinator could not store the job: \(error)", transient: true)), reply: reply)
            }
        }
    }

    /// The embeddings cache's key: SHA-256 over the model's digest (or, when the
    /// workers report none, its name) and the texts after WanPipeline's cleaning
    /// (what the encoder reads, so prompts that differ only in what cleaning
    /// removes share their embeddings).
    static func embeddingsCacheKey(digest: String, model: String, prompt: String, negative: String?) -> String {
        // Each text after its length, so no two (prompt, negative) pairs share bytes.
        let parts =
            [digest.isEmpty ? "model:" + model : "digest:" + digest, PromptCleaner.clean(prompt)]
            + (negative.map { ["negative", PromptCleaner.clean($0)] } ?? ["none"])
        let bytes = parts.flatMap { Array("\($0.utf8.count):".utf8) + Array($0.utf8) }
        return SHA256.hex(SHA256.hash(bytes))
    }
}
