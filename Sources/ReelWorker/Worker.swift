import Foundation
import Logging
import ReelPlan
import ReelTensor
import ReelWire

/// A worker process's loop: connects a DEALER to the coordinator (so it needs no
/// inbound port), registers, heartbeats, runs assignments on background threads
/// while the loop keeps talking, and re-registers whenever the coordinator comes
/// back. On stop it finishes (or hands back) what it runs and says goodbye.
public final class Worker {
    let config: WorkerConfig
    let executor: any ShardExecutor
    /// Turns decoded chunks into H.264 segments.
    let encoder: any ChunkEncoder
    /// Random per process: with the name, the ZeroMQ routing id, so a reconnect of
    /// this process keeps its identity with the coordinator.
    let bootID: String
    var logger: Logger
    let context: ZMQContext
    /// Replaced by a fresh socket when a connection never hears back (``reconnectIfUnanswered(now:)``).
    var dealer: DealerSocket
    /// When the current socket connected, and whether anything came back on it since.
    var connectedAt: ContinuousClock.Instant = .now
    var heardOnThisSocket = false
    /// Wait before replacing a socket that never heard back: doubles up to 60 s.
    var reconnectBackoff: Duration = .seconds(5)
    let finished = FinishedQueue()

    var registered = false
    var lastHello: ContinuousClock.Instant
    var lastHeard: ContinuousClock.Instant
    var lastHeartbeat: ContinuousClock.Instant
    /// Wait before the next Hello while unanswered: doubles up to 30 s, so a
    /// coordinator that is slow or gone is not flooded with registrations.
    var helloBackoff: Duration = .milliseconds(500)
    var heartbeatInterval: Duration
    var heartbeatTimeout: Duration
    var running: [RunningKey: RunningTask] = [:]
    /// Assignments beyond the free slots: one per worker is prefetched so a slot
    /// never waits for the coordinator's round trip.
    var queued: [(key: RunningKey, work: Work)] = []
    typealias Work = @Sendable (any ShardExecutor, RunningTask) throws(WorkerError) -> TaskOutput
    /// Assignments the coordinator may send beyond `slots` (mirrored by the coordinator).
    static let prefetch = 1
    var embeds = EmbeddingsCache(capacity: 16)
    /// Why the last Hello was refused, if it was (logged once, not per retry).
    var lastRefusal: String?
    /// Results computed and offered (``ResultOffer``), waiting for the coordinator
    /// to pull them; they count as busy slots and are listed in heartbeats.
    var held: [RunningKey: [Data]] = [:]
    /// Results pulled recently, offered again after re-registering in case the
    /// coordinator restarted before recording them (it discards what it has).
    var recentResults: [(at: ContinuousClock.Instant, key: RunningKey, frames: [Data])] = []
    var draining = false
    /// Why the loop must end now (a refusal it cannot fix), if any.
    var fatal: String?

    public init(config: WorkerConfig, executor: any ShardExecutor, encoder: any ChunkEncoder, logger: Logger) throws {
        self.config = config
        self.executor = executor
        self.encoder = encoder
        self.logger = logger
        bootID = (0 ..< 4).map { _ in String(UInt32.random(in: .min ... .max), radix: 16) }.joined()
        heartbeatInterval = config.heartbeatInterval
        heartbeatTimeout = config.heartbeatTimeout
        let long = ContinuousClock.now - .seconds(3600)
        lastHello = long
        lastHeard = .now
        lastHeartbeat = long
        context = try ZMQContext()
        dealer = try DealerSocket(context: context)
        try configure(dealer)
    }

    /// Sets a new socket up (routing id, limits, CURVE) and connects it.
    func configure(_ socket: DealerSocket) throws {
        try socket.set(.routingID(Array("\(config.name)/\(bootID)".utf8.prefix(255))))
        try socket.set(.maxMessageSize(config.maxMessageBytes))
        try socket.set(.linger(.seconds(2)))
        try socket.set(.reconnectInterval(.milliseconds(200)))
        try socket.set(.reconnectIntervalMax(.seconds(2)))
        // A send never blocks the loop for long: with no connection to queue on (one
        // whose handshake was refused is not retried), zmq_send would wait forever.
        try socket.set(.sendTimeout(.seconds(2)))
        try secure(socket, config: config)
        try socket.connect(config.coordinator)
    }

    /// A connection that never heard back is replaced by a new one, backing off.
    /// libzmq stops reconnecting a socket whose CURVE handshake the coordinator
    /// refused (ZAP status 400), so a worker started before its key was allowed
    /// would otherwise wait forever after the operator allows it. Replacing an
    /// unanswered socket costs nothing else: nothing was sent on it but hellos.
    func reconnectIfUnanswered(now: ContinuousClock.Instant) {
        guard !heardOnThisSocket, !registered, now - connectedAt >= reconnectBackoff else { return }
        do {
            let fresh = try DealerSocket(context: context)
            try configure(fresh)
            dealer = fresh
            logger.info(
                "no answer from the coordinator on this connection; connecting again (a key refused before it was allowed needs a new connection)",
                metadata: ["waited_s": "\(Int((now - connectedAt).realSeconds))"])
        } catch {
            logger.error("cannot open a new connection to the coordinator", metadata: ["error": "\(error)"])
        }
        connectedAt = now
        reconnectBackoff = min(reconnectBackoff * 2, .seconds(60))
        helloBackoff = .zero
    }

    /// Runs until `stop` turns true (then drains) or the coordinator refuses it.
    /// - Throws: ``WorkerError`` when the coordinator refuses this worker for good.
    public func run(until stop: () -> Bool) throws(WorkerError) {
        logger.info("worker starting", metadata: ["coordinator": "\(config.coordinator)", "name": "\(config.name)"])
        var drainStarted: ContinuousClock.Instant?
        while true {
            let now = ContinuousClock.now
            if stop(), drainStarted == nil {
                drainStarted = now
                draining = true
                for (key, _) in queued { sendFailure(key, WorkerError(.cancelled, "worker \(config.name) is stopping")) }
                queued.removeAll()
                sendHeartbeat(now: now)
                logger.info("stopping: finishing running shards", metadata: ["running": "\(running.count)"])
            }
            if let started = drainStarted {
                // Held results wait for their pull too: they are finished work.
                if (running.isEmpty && held.isEmpty) || now - started > config.drainTimeout { break }
            }
            if let fatal { throw WorkerError(.internalError, fatal) }
            pump(now: now)
        }
        handBack()
        sayGoodbye(draining: true)
    }

    /// One turn: messages in, finished work out, heartbeats and registration.
    func pump(now: ContinuousClock.Instant) {
        do {
            // Short: finished tasks are picked up between waits.
            var wait: Duration? = .milliseconds(2)
            while let frames = try dealer.receive(timeout: wait) {
                wait = .zero
                handle(frames)
            }
        } catch {
            logger.error("receive failed", metadata: ["error": "\(error)"])
        }
        for done in finished.drain() { report(done) }
        launchQueued()
        // A silent coordinator may be busy, restarting or gone. Keep working and
        // heartbeating, and say Hello now and then (backing off), which a coordinator
        // that still knows this process answers without re-registering it.
        if registered, now - lastHeard > heartbeatTimeout {
            logger.warning("coordinator silent; will say hello again", metadata: ["silent_ms": "\((now - lastHeard).milliseconds)"])
            registered = false
            helloBackoff = heartbeatInterval
            lastHello = now
        }
        reconnectIfUnanswered(now: now)
        if !registered, now - lastHello >= helloBackoff {
            sendHello(now: now)
            // A zero backoff means "now" (the coordinator asked for a hello); the next
            // waits at least 250 ms, so hellos never flood a coordinator that is slow to answer.
            helloBackoff = min(max(helloBackoff * 2, .milliseconds(250)), .seconds(30))
        }
        if now - lastHeartbeat >= heartbeatInterval {
            sendHeartbeat(now: now)
        }
    }

    func send(_ envelope: Reel_V1_Envelope, tensors: [WireTensor] = []) -> [Data]? {
        do {
            let frames = try WireCodec.encode(envelope, tensors: tensors)
            try dealer.send(frames)
            return frames
        } catch {
            logger.error("send failed", metadata: ["error": "\(error)"])
            return nil
        }
    }

    func sendHello(now: ContinuousClock.Instant) {
        lastHello = now
        var hello = Reel_V1_Hello()
        hello.workerName = config.name
        hello.host = ProcessInfo.processInfo.hostName
        hello.cores = UInt32(ProcessInfo.processInfo.activeProcessorCount)
        hello.threads = UInt32(config.threads)
        hello.slots = UInt32(config.slots)
        hello.protocolVersion = WireProtocol.version
        hello.software = "reel"
        hello.bootID = bootID
        hello.pools = config.pools
        // A block before an edit's first step comes as step_begin = step_end.
        hello.runsEmptyBlocks = true
        // A source pinned after a clip's first decoded frame comes with later_form set.
        hello.encodesLaterForm = true
        var canDecode = false
        var canEncode = false
        do {
            let models = try executor.models()
            hello.models = models.map(\.name)
            hello.modelInfos = models.map { model in
                var info = Self.info(model)
                info.decodeWarmupFrames = UInt32(executor.decodeWarmup(model: model.name))
                info.digest = executor.digest(model: model.name)
                if info.decodeWarmupFrames > 0 { canDecode = true }
                info.textEncoder = executor.hasTextEncoder(model: model.name)
                if info.textEncoder, config.encodesPrompts, config.promptEncodingRefusals[model.name] == nil { canEncode = true }
                return info
            }
        } catch {
            logger.error("cannot list models", metadata: ["error": "\(error)"])
        }
        // A test fault, not a mode of operation: `REEL_TEST_FAULTS=no-decode` keeps a
        // farm's jobs decoding until a test starts a worker that decodes.
        if TestFaults(ProcessInfo.processInfo.environment[TestFaults.environmentKey]).contains("no-decode") { canDecode = false }
        // Offer only what this worker can do: decoding needs a model with a VAE.
        hello.kinds = canDecode ? [.denoise, .decode] : [.denoise]
        // Encoding prompts needs a model folder with tokenizer/ and text_encoder/.
        if canEncode { hello.kinds.append(.encodePrompt) }
        // Sources are VAE-encoded by workers that decode (they have the VAE) and can read media.
        if canDecode, config.sourceReader != nil { hello.kinds.append(.encodeSource) }
        var envelope = Reel_V1_Envelope()
        envelope.body = .hello(hello)
        _ = send(envelope)
    }

    /// Slots taken: running, queued, and finished results not yet pulled (the
    /// coordinator counts an item as this worker's until its result arrives).
    var busySlots: Int { running.count + queued.count + held.count }

    func sendHeartbeat(now: ContinuousClock.Instant) {
        lastHeartbeat = now
        var heartbeat = Reel_V1_Heartbeat()
        heartbeat.sentUnixMs = UInt64(Timestamp.now.milliseconds)
        // A held result is still this worker's work (its lease must stay alive) and
        // fills a slot: a coordinator that does not pull sends no more work.
        // A draining worker takes nothing more: its 0 keeps the coordinator from
        // sending it work it would hand straight back.
        heartbeat.freeSlots = draining ? 0 : UInt32(max(0, config.slots + Self.prefetch - busySlots))
        heartbeat.running = (Array(running.keys) + queued.map(\.key) + Array(held.keys)).map(\.wire)
        var envelope = Reel_V1_Envelope()
        envelope.body = .heartbeat(heartbeat)
        _ = send(envelope)
    }

    func sayGoodbye(draining: Bool) {
        var goodbye = Reel_V1_Goodbye()
        goodbye.reason = draining ? "worker stopping" : "worker leaving"
        var envelope = Reel_V1_Envelope()
        envelope.body = .goodbye(goodbye)
        _ = send(envelope)
        dealer.close()
        logger.info("worker stopped", metadata: ["name": "\(config.name)"])
    }

    /// Shards still running at the end of the drain go back to the coordinator.
    func handBack() {
        for key in Array(running.keys) + queued.map(\.key) {
            sendFailure(key, WorkerError(.cancelled, "worker \(config.name) is stopping"))
        }
        running.removeAll()
        queued.removeAll()
        // Results never pulled: the coordinator requeues their leases on Goodbye.
        held.removeAll()
    }

    static func info(_ model: ModelGeometry) -> Reel_V1_ModelInfo {
        var info = Reel_V1_ModelInfo()
        info.name = model.name
        info.latentChannels = UInt32(model.latentChannels)
        info.temporalStride = UInt32(model.temporalStride)
        info.spatialStride = UInt32(model.spatialStride)
        info.patchFrames = UInt32(model.patch.frames)
        info.patchHeight = UInt32(model.patch.height)
        info.patchWidth = UInt32(model.patch.width)
        info.layers = UInt32(model.layers)
        info.width = UInt32(model.width)
        info.ffnWidth = UInt32(model.ffnWidth)
        info.heads = UInt32(model.heads)
        info.textTokens = UInt32(model.textTokens)
        info.textDim = UInt32(model.textDim)
        info.firstLatentLaterForm = model.firstLatentForm == .later
        return info
    }
}
