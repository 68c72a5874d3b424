import Foundation
import ReelHash
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
        heardOnThisSocket = true
        switch message.envelope.body {
        case .welcome(let welcome)?:
            registered = true
            lastRefusal = nil
            helloBackoff = .milliseconds(500)
            if welcome.heartbeatIntervalMs > 0 { heartbeatInterval = .milliseconds(Int(welcome.heartbeatIntervalMs)) }
            if welcome.heartbeatTimeoutMs > 0 { heartbeatTimeout = .milliseconds(Int(welcome.heartbeatTimeoutMs)) }
            logger.info("registered with the coordinator", metadata: ["name": "\(welcome.workerName)"])
            offerResultsAgain()
        case .refusal(let refusal)?:
            switch refusal.reason {
            case .notRegistered:
                // The coordinator restarted or forgot this connection: say hello now.
                if registered || helloBackoff > heartbeatInterval { helloBackoff = .zero }
                registered = false
            case .duplicateName, .shuttingDown:
                // Another process still holds the name (or the coordinator is leaving):
                // not final; the next Hello, after the backoff, may be accepted.
                registered = false
                if lastRefusal != refusal.message { logger.warning("the coordinator refused this worker for now", metadata: ["reason": "\(refusal.message)"]) }
                lastRefusal = refusal.message
            default:
                // A protocol version or a configuration the coordinator will never accept.
                fatal = "the coordinator refused this worker: \(refusal.message)"
            }
        case .heartbeat?:
            break
        case .resultPull(let pull)?:
            pulled(pull)
        case .shardAssignment(let assignment)?:
            accept(assignment, message: message)
        case .decodeAssignment(let assignment)?:
            accept(assignment, message: message)
        case .promptAssignment(let assignment)?:
            accept(assignment)
        case .sourceAssignment(let assignment)?:
            accept(assignment)
        case .cancel(let cancel)?:
            // The task sees the flag between sampling steps and stops there.
            for (key, task) in running where key.matches(cancel.item) { task.cancelled = true }
            for (key, _) in queued where key.matches(cancel.item) {
                sendFailure(key, WorkerError(.cancelled, "cancelled by the coordinator before it started"))
            }
            queued.removeAll { $0.key.matches(cancel.item) }
            for key in held.keys where key.matches(cancel.item) {
                held[key] = nil
                sendFailure(key, WorkerError(.cancelled, "cancelled by the coordinator after it finished"))
            }
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
        // The embeddings cache is updated for every assignment, refused or not, in
        // the order they arrive: the coordinator mirrors exactly that.
        if a.embeds.hasPositive, let positive = message.tensor(for: a.embeds.positive) {
            let negative = a.embeds.hasNegative ? message.tensor(for: a.embeds.negative) : nil
            embeds.insert(a.embeds.embedsID, positive: Self.tensor(positive), negative: negative.map(Self.tensor))
        }
        let prompt = embeds.use(a.embeds.embedsID)
        let timeline = useTimeline(a, message: message)
        guard !draining, busySlots < config.slots + Self.prefetch else {
            sendFailure(key, WorkerError(.cancelled, "worker \(config.name) has no free slot (draining or full)"))
            return
        }
        let start: LatentStart
        if a.initialNoise {
            do { start = .noise(try InitialNoise(seed: a.seed, box: a.box)) } catch {
                sendFailure(key, error)
                return
            }
        } else if let latents = message.tensor(for: a.latents) {
            start = .latents(Self.tensor(latents))
        } else {
            sendFailure(key, WorkerError(.invalidInput, "the assignment has no latents and does not start from initial noise"))
            return
        }
        guard let prompt else {
            sendFailure(key, WorkerError(.missingEmbeddings, "prompt embeddings '\(a.embeds.embedsID)' are not in this worker's cache"))
            return
        }
        let mix: TimelineMix?
        switch timeline {
        case .success(let value): mix = value
        case .failure(let error):
            sendFailure(key, error)
            return
        }
        let s = a.sampler
        // An empty block (begin = end) is a block before an edit's first step.
        guard s.stepBegin <= s.stepEnd, s.stepEnd <= s.totalSteps else {
            sendFailure(key, WorkerError(.invalidInput, "step block [\(s.stepBegin), \(s.stepEnd)) is not within \(s.totalSteps) steps"))
            return
        }
        var conditioning: DenoiseConditioning?
        if !a.conditioning.isEmpty {
            do { conditioning = try DenoiseConditioning(assignment: a, message: message) } catch {
                sendFailure(key, error)
                return
            }
        }
        var prepared = DenoiseTask(
            model: a.model, latents: start.placeholder, totalSteps: Int(s.totalSteps),
            steps: Int(s.stepBegin) ..< Int(s.stepEnd), guidance: s.guidance, shift: s.shift > 0 ? s.shift : nil,
            prompt: .init(id: a.embeds.embedsID, tensor: prompt.positive),
            negativePrompt: s.guidance > 1 ? prompt.negative.map { .init(id: a.embeds.embedsID + "-", tensor: $0) } : nil)
        prepared.conditioning = conditioning
        let task = prepared
        self.start(key, steps: task.steps.count) { executor, running throws(WorkerError) in
            var task = task
            if case .noise(let noise) = start { task.latents = try noise.latents() }
            // No step to run: the latents go back as they came, without loading the model.
            if task.steps.isEmpty { return .latents(task.latents) }
            if let mix { task.prompt = try mix.embeddings() }
            task.isCancelled = { running.cancelled }
            return .latents(try executor.denoise(task))
        }
    }

    private func accept(_ a: Reel_V1_DecodeAssignment, message: WireMessage) {
        let key = RunningKey(job: Int64(clamping: a.jobID), kind: .chunk(Int(a.chunk)), attempt: Int(a.attempt))
        guard !draining, busySlots < config.slots + Self.prefetch else {
            sendFailure(key, WorkerError(.cancelled, "worker \(config.name) has no free slot (draining or full)"))
            return
        }
        guard let latents = message.tensor(for: a.latents), latents.shape.count == 4,
            latents.shape[1] == Int(a.frameEnd) - Int(a.frameBegin) + Int(a.warmupFrames)
        else {
            sendFailure(key, WorkerError(.invalidInput, "decode latents do not cover \(a.warmupFrames) warm-up frames and frames [\(a.frameBegin), \(a.frameEnd))"))
            return
        }
        let e = a.encoding
        guard a.hasEncoding, (1 ... 1000).contains(e.fps), (0 ... 51).contains(e.crf), !e.preset.isEmpty, e.preset.count <= 32 else {
            sendFailure(key, WorkerError(.invalidInput, "the decode assignment's encoding (fps \(e.fps), crf \(e.crf), preset '\(e.preset.prefix(32))') is missing or out of range"))
            return
        }
        let settings = ChunkEncoding(fps: Int(e.fps), crf: e.crf, preset: e.preset, still: e.still)
        let task = DecodeTask(
            model: a.model, latents: Self.tensor(latents), warmup: Int(a.warmupFrames), normalize: a.normalize,
            laterStart: a.laterStart)
        let encoder = self.encoder
        start(key) { executor, running throws(WorkerError) in
            // Frames go into the encoder as the decoder emits them, so a long chunk
            // is never whole in memory, and only the compressed segment travels.
            var session: (any ChunkEncoderSession)?
            try executor.decode(task) { frames throws(WorkerError) in
                if running.cancelled { throw WorkerError(.cancelled, "cancelled by the coordinator") }
                if session == nil { session = try encoder.start(width: frames.shape[3], height: frames.shape[2], settings: settings) }
                try session?.append(frames)
            }
            guard let session else { throw WorkerError(.internalError, "the decoder emitted no frames") }
            let segment = try session.finish()
            return .segment(bytes: segment.bytes, frames: segment.frames)
        }
    }

    /// Runs `work` on its own thread when a slot is free, else queues it (the
    /// prefetched assignment); the loop picks up the outcome.
    func start(_ key: RunningKey, steps: Int? = nil, _ work: @escaping Work) {
        let metrics = config.metrics
        // The item's time, measured where it ran, for this worker's /metrics.
        let measured: Work = { executor, running throws(WorkerError) in
            let started = ContinuousClock.now
            let output: TaskOutput
            do throws(WorkerError) {
                output = try work(executor, running)
            } catch {
                metrics?.failures.increment()
                throw error
            }
            metrics?.record(ContinuousClock.now - started, steps: steps)
            return output
        }
        guard running.count < config.slots else {
            queued.append((key, measured))
            return
        }
        launch(key, measured)
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
            // Below the thread that heartbeats and serves the coordinator, so that
            // compute on every core never delays a heartbeat (ThreadPriority).
            ThreadPriority.lowerCurrentThread()
            let started = ContinuousClock.now
            let result = Result<TaskOutput, WorkerError> { () throws(WorkerError) in
                try Parallel.withThreads(threads) { () throws(WorkerError) in try work(executor, task) }
            }
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
            var envelope = Reel_V1_Envelope()
            var tensors: [WireTensor] = []
            switch (done.key.kind, output) {
            case (.shard(let shard), .latents(let latents)):
                guard latents.isFinite else {
                    sendFailure(done.key, WorkerError(.nonFiniteOutput, "the output has NaN or Inf"))
                    return
                }
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
                do {
                    tensors = [try WireTensor(name: "latents", shape: latents.shape, values: latents.storage)]
                } catch {
                    sendFailure(done.key, WorkerError(.internalError, "cannot encode the result: \(error)"))
                    return
                }
            case (.chunk(let chunk), .segment(let bytes, let frames)):
                var result = Reel_V1_DecodeResult()
                result.jobID = UInt64(done.key.job)
                result.chunk = UInt32(chunk)
                result.attempt = UInt32(done.key.attempt)
                result.segment = Data(bytes)
                result.segmentSha256 = Data(SHA256.hash(bytes))
                result.frameCount = UInt32(frames)
                var timings = Reel_V1_Timings()
                timings.computeMs = UInt64(done.computeMilliseconds)
                result.timings = timings
                envelope.body = .decodeResult(result)
            case (.encoding, .embeddings(let encoded)):
                do {
                    (envelope, tensors) = try promptResult(done, encoded)
                } catch {
                    sendFailure(done.key, WorkerError(.internalError, "cannot encode the result: \(error)"))
                    return
                }
            case (.source, .sourceLatents(let latents)):
                do {
                    (envelope, tensors) = try sourceResult(done, latents)
                } catch {
                    sendFailure(done.key, WorkerError(.internalError, "cannot encode the result: \(error)"))
                    return
                }
            default:
                sendFailure(done.key, WorkerError(.internalError, "the task produced the wrong kind of output"))
                return
            }
            hold(done.key, envelope, tensors: tensors)
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
        case .missingEmbeddings: return .missingEmbeddings
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
        case .encoding: return cancel.kind == .encodePrompt
        case .source(let index): return cancel.kind == .encodeSource && Int(cancel.chunk) == index
        }
    }
}
