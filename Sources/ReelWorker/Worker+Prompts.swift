import Foundation
import ReelPlan
import ReelTensor
import ReelWire

/// Prompt encodings: a job's prompt encoded with the model's umT5 text encoder,
/// which the worker loads on the first prompt of a model and keeps.
extension Worker {
    func accept(_ a: Reel_V1_PromptAssignment) {
        let key = RunningKey(job: Int64(clamping: a.jobID), kind: .encoding, attempt: Int(a.attempt))
        guard !draining, busySlots < config.slots + Self.prefetch else {
            sendFailure(key, WorkerError(.cancelled, "worker \(config.name) has no free slot (draining or full)"))
            return
        }
        guard config.encodesPrompts, executor.hasTextEncoder(model: a.model) else {
            sendFailure(key, WorkerError(.modelNotFound, "worker \(config.name) does not encode prompts for model '\(a.model.prefix(80))'"))
            return
        }
        if let refusal = config.promptEncodingRefusals[a.model] {
            sendFailure(key, WorkerError(.modelNotFound, "worker \(config.name) \(refusal)"))
            return
        }
        guard a.laterPrompts.count < JobRequest.maxTimelinePrompts else {
            sendFailure(key, WorkerError(.invalidInput, "\(a.laterPrompts.count) later prompts: a timeline holds at most \(JobRequest.maxTimelinePrompts) prompts"))
            return
        }
        guard (1 ... 4096).contains(a.maxTokens) else {
            sendFailure(key, WorkerError(.invalidInput, "max_tokens \(a.maxTokens) is not within 1...4096"))
            return
        }
        let textDim = (try? executor.models())?.first { $0.name == a.model }?.textDim ?? 0
        let task = PromptTask(
            model: a.model, prompt: a.prompt, negativePrompt: a.negative ? a.negativePrompt : nil, maxTokens: Int(a.maxTokens), textDim: textDim,
            laterPrompts: a.laterPrompts)
        if !executor.textEncoderLoaded(model: a.model) {
            logger.info("loading the text encoder (first prompt of this model)", metadata: ["model": "\(a.model)", "job": "\(key.job)"])
        }
        start(key) { executor, running throws(WorkerError) in
            let encoded = try executor.encodePrompt(task)
            if running.cancelled { throw WorkerError(.cancelled, "cancelled by the coordinator") }
            return .embeddings(encoded)
        }
    }

    /// The result message of an encoding: `[1, L, D]` tensors, as `--prompt-embeds` files hold them.
    func promptResult(_ done: FinishedTask, _ encoded: EncodedPrompts) throws -> (Reel_V1_Envelope, [WireTensor]) {
        if let loaded = encoded.loaded {
            logger.info("text encoder loaded", metadata: ["job": "\(done.key.job)", "load_ms": "\(loaded.milliseconds)"])
        }
        for (index, cut) in encoded.truncated.enumerated() where cut > 0 {
            logger.warning(
                "prompt truncated to fit the encoder, as WanPipeline does",
                metadata: ["job": "\(done.key.job)", "which": "\(index == 0 ? "prompt" : "negative prompt")", "pieces_cut": "\(cut)"])
        }
        var result = Reel_V1_PromptResult()
        result.jobID = UInt64(done.key.job)
        result.attempt = UInt32(done.key.attempt)
        var tensors = [try WireTensor(name: "prompt_embeds", shape: encoded.positive.shape, values: encoded.positive.storage)]
        var positive = Reel_V1_TensorHeader()
        positive.name = "prompt_embeds"
        result.positive = positive
        if let negative = encoded.negative {
            var header = Reel_V1_TensorHeader()
            header.name = "negative_prompt_embeds"
            result.negative = header
            tensors.append(try WireTensor(name: "negative_prompt_embeds", shape: negative.shape, values: negative.storage))
        }
        for (index, cut) in encoded.laterTruncated.enumerated() where cut > 0 {
            logger.warning(
                "prompt truncated to fit the encoder, as WanPipeline does",
                metadata: ["job": "\(done.key.job)", "which": "timeline prompt \(index + 1)", "pieces_cut": "\(cut)"])
        }
        for (index, later) in encoded.later.enumerated() {
            var header = Reel_V1_TensorHeader()
            header.name = "later_prompt_embeds_\(index + 1)"
            result.later.append(header)
            tensors.append(try WireTensor(name: header.name, shape: later.shape, values: later.storage))
        }
        result.laterPiecesCut = encoded.laterTruncated.map { UInt32(clamping: $0) }
        var timings = Reel_V1_Timings()
        timings.computeMs = UInt64(done.computeMilliseconds)
        timings.loadMs = UInt64(encoded.loaded?.milliseconds ?? 0)
        result.timings = timings
        result.promptPiecesCut = UInt32(clamping: encoded.truncated.first ?? 0)
        result.negativePiecesCut = UInt32(clamping: encoded.truncated.dropFirst().first ?? 0)
        logger.info("prompt encoded", metadata: ["job": "\(done.key.job)", "tokens": "\(encoded.tokens)", "compute_ms": "\(done.computeMilliseconds)"])
        var envelope = Reel_V1_Envelope()
        envelope.body = .promptResult(result)
        return (envelope, tensors)
    }
}
