import Foundation
import ReelPlan
import ReelTensor
import ReelWire

/// What the worker does with each message, and how it reports back.
extension Worker {
    func handle(_ frames: [Data]) {
        let message: WireMessage
        do {
            message = try WireCodec.decode(frames, limits: WireLimits(maxMessageBytes: config.maxMessageBytes))
        } catch {
            logger.warning("dropped a malformed message from the coordinator", metadata: ["error": "\(error)"])
            return
        }
        lastHeard = .now
        switch message.envelope.body {
        case .welcome(let welcome)?:
            registered = true
            if welcome.heartbeatIntervalMs > 0 { heartbeatInterval = .milliseconds(Int(welcome.heartbeatIntervalMs)) }
            if welcome.heartbeatTimeoutMs > 0 { heartbeatTimeout = .milliseconds(Int(welcome.heartbeatTimeoutMs)) }
            logger.info("registered with the coordinator", metadata: ["name": "\(welcome.workerName)"])
            resendRecentResults()
        case .refusal(let refusal)?:
            switch refusal.reason {
            case .notRegistered:
                registered = false
            default:
                fatal = "the coordinator refused this worker: \(refusal.message)"
            }
        case .heartbeat?:
            break
        case .shardAssignment(let assignment)?:
            accept(assignment, message: message)
        case .decodeAssignment(let assignment)?:
            accept(assignment, message: message)
        case .cancel(let cancel)?:
            for (key, task) in running where key.matches(cancel.item) { task.cancelled = true }
            for (key, _) in queued where key.matches(cancel.item) {
                sendFailure(key, WorkerError(.cancelled, "cancelled by the coordinator before it started"))
            }
            queued.removeAll { $0.key.matches(cancel.item) }
        case .drain?:
            draining = true
        case .goodbye?:
            logger.info("the coordinator is leaving; will register with the next one")
            registered = false
        default:
            logger.warning("ignored a message a coordinator should not send")
        }
    }

    private func accept(_ a: Reel_V1_ShardAssignment, message: WireMessage) {
        let key = RunningKey(
            job: Int64(clamping: a.jobID), kind: .shard(ShardID(region: Int(a.region), block: Int(a.block))), attempt: Int(a.attempt))
        guard !draining, running.count + queued.count < config.slots + Self.prefetch else {
            sendFailure(key, WorkerError(.cancelled, "worker \(config.name) has no free slot (draining or full)"))
            return
        }
        guard let latents = message.tensor(for: a.latents) else {
            sendFailure(key, WorkerError(.invalidInput, "the assignment has no latents"))
            return
        }
        if a.embeds.hasPositive, let positive = message.tensor(for: a.embeds.positive) {
            let negative = a.embeds.hasNegative ? message.tensor(for: a.embeds.negative) : nil
            embeds.insert(
                a.embeds.embedsID, positive: Self.tensor(positive),
                negative: negative.map(Self.tensor))
        }
        guard let prompt = embeds[a.embeds.embedsID] else {
            sendFailure(key, WorkerError(.invalidInput, "prompt embeddings '\(a.embeds.embedsID)' were never sent to this worker"))
            return
        }
        let s = a.sampler
        guard s.stepBegin < s.stepEnd, s.stepEnd <= s.totalSteps else {
            sendFailure(key, WorkerError(.invalidInput, "step block [\(s.stepBegin), \(s.stepEnd)) is not within \(s.totalSteps) steps"))
            return
        }
        let task = DenoiseTask(
            model: a.model, latents: Self.tensor(latents), totalSteps: Int(s.totalSteps),
            steps: Int(s.stepBegin) ..< Int(s.stepEnd), guidance: s.guidance, shift: s.shift > 0 ? s.shift : nil,
            prompt: .init(id: a.embeds.embedsID, tensor: prompt.positive),
            negativePrompt: s.guidance > 1 ? prompt.negative.map { .init(id: a.embeds.embedsID + "-", tensor: $0) } : nil)
        start(key) { executor throws(WorkerError) in try executor.denoise(task) }
    }

    private func accept(_ a: Reel_V1_DecodeAssignment, message: WireMessage) {
        let key = RunningKey(job: Int64(clamping: a.jobID), kind: .chunk(Int(a.chunk)), attempt: Int(a.attempt))
        guard !draining, running.count + queued.count < config.slots + Self.prefetch else {
            sendFailure(key, WorkerError(.cancelled, "worker \(config.name) has no free slot (draining or full)"))
            return
        }
        guard let latents = message.tensor(for: a.latents), latents.shape.count == 4,
            latents.shape[1] == Int(a.frameEnd) - Int(a.frameBegin) + Int(a.warmupFrames)
        else {
            sendFailure(key, WorkerError(.invalidInput, "decode latents do not cover \(a.warmupFrames) warm-up frames and frames [\(a.frameBegin), \(a.frameEnd))"))
            return
        }
        let task = DecodeTask(model: a.model, latents: Self.tensor(latents), warmup: Int(a.warmupFrames), normalize: a.normalize)
        start(key) { executor throws(WorkerError) in try executor.decode(task) }
    }

    /// Runs `work` on its own thread when a slot is free, else queues it (the
    /// prefetched assignment); the loop picks up the outcome.
    private func start(_ key: RunningKey, _ work: @escaping Work) {
        guard running.count < config.slots else {
            queued.append((key, work))
            return
        }
        launch(key, work)
    }

    /// Starts the oldest queued assignment if a slot is free.
    func launchQueued() {
        while running.count < config.slots, !draining, !queued.isEmpty {
            let (key, work) = queued.removeFirst()
            launch(key, work)
        }
    }

    private func launch(_ key: RunningKey, _ work: @escaping Work) {
        let task = RunningTask(received: .now)
        running[key] = task
        let executor = self.executor
        let finished = self.finished
        let threads = config.threads
        Thread.detachNewThread {
            Parallel.threads = threads
            let started = ContinuousClock.now
            let result = Result<Tensor, WorkerError> { () throws(WorkerError) in try work(executor) }
            let elapsed = ContinuousClock.now - started
            finished.push(FinishedTask(key: key, result: result, computeMilliseconds: elapsed.milliseconds))
        }
    }

    func report(_ done: FinishedTask) {
        guard let task = running.removeValue(forKey: done.key) else { return }
        if task.cancelled {
            sendFailure(done.key, WorkerError(.cancelled, "cancelled by the coordinator"))
            return
        }
        switch done.result {
        case .failure(let error):
            logger.warning("task failed", metadata: ["job": "\(done.key.job)", "error": "\(error)"])
            sendFailure(done.key, error)
        case .success(let output):
            guard output.isFinite else {
                sendFailure(done.key, WorkerError(.nonFiniteOutput, "the output has NaN or Inf"))
                return
            }
            var envelope = Reel_V1_Envelope()
            let name: String
            switch done.key.kind {
            case .shard(let shard):
                var result = Reel_V1_ShardResult()
                result.jobID = UInt64(done.key.job)
                result.region = UInt32(shard.region)
                result.block = UInt32(shard.block)
                result.attempt = UInt32(done.key.attempt)
                var header = Reel_V1_TensorHeader()
                header.name = "latents"
                result.latents = header
                var timings = Reel_V1_Timings()
                timings.computeMs = UInt64(done.computeMilliseconds)
                result.timings = timings
                envelope.body = .shardResult(result)
                name = "latents"
            case .chunk(let chunk):
                var result = Reel_V1_DecodeResult()
                result.jobID = UInt64(done.key.job)
                result.chunk = UInt32(chunk)
                result.attempt = UInt32(done.key.attempt)
                var header = Reel_V1_TensorHeader()
                header.name = "frames"
                result.frames = header
                envelope.body = .decodeResult(result)
                name = "frames"
            }
            do {
                let tensor = try WireTensor(name: name, shape: output.shape, values: output.storage)
                if let frames = send(envelope, tensors: [tensor]) {
                    let now = Timestamp.now
                    recentResults.append((now, frames))
                    recentResults.removeAll { now.milliseconds - $0.at.milliseconds > 60_000 }
                    if recentResults.count > 2 * config.slots { recentResults.removeFirst() }
                }
            } catch {
                sendFailure(done.key, WorkerError(.internalError, "cannot encode the result: \(error)"))
            }
        }
    }

    func sendFailure(_ key: RunningKey, _ error: WorkerError) {
        var failure = Reel_V1_ShardFailure()
        failure.jobID = UInt64(key.job)
        failure.attempt = UInt32(key.attempt)
        failure.message = String(error.message.prefix(1000))
        failure.failureClass = Self.failureClass(error.kind)
        let item = key.wire
        failure.kind = item.kind
        failure.region = item.region
        failure.block = item.block
        failure.chunk = item.chunk
        var envelope = Reel_V1_Envelope()
        envelope.body = .shardFailure(failure)
        _ = send(envelope)
    }

    private func resendRecentResults() {
        for (_, frames) in recentResults {
            do { try dealer.send(frames) } catch { logger.warning("cannot resend a result", metadata: ["error": "\(error)"]) }
        }
    }

    static func tensor(_ wire: WireTensor) -> Tensor {
        // The codec already checked that the values fill the shape.
        (try? Tensor(shape: wire.shape, storage: wire.values)) ?? Tensor(zeros: [0])
    }

    static func failureClass(_ kind: WorkerError.Kind) -> Reel_V1_FailureClass {
        switch kind {
        case .outOfMemory: return .outOfMemory
        case .invalidInput: return .invalidInput
        case .nonFiniteOutput: return .nonFiniteOutput
        case .modelNotFound: return .modelNotFound
        case .internalError: return .internal
        case .cancelled: return .cancelled
        }
    }
}

extension RunningKey {
    func matches(_ item: Reel_V1_WorkItem) -> Bool {
        guard Int64(clamping: item.jobID) == job else { return false }
        let cancel = item
        switch kind {
        case .shard(let shard): return cancel.kind == .denoise && Int(cancel.region) == shard.region && Int(cancel.block) == shard.block
        case .chunk(let chunk): return cancel.kind == .decode && Int(cancel.chunk) == chunk
        }
    }
}
