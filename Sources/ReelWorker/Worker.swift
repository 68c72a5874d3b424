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
    var logger: Logger
    let context: ZMQContext
    let dealer: DealerSocket
    let finished = FinishedQueue()

    var registered = false
    var lastHello = Timestamp(milliseconds: 0)
    var lastHeard = Timestamp(milliseconds: 0)
    var lastHeartbeat = Timestamp(milliseconds: 0)
    var heartbeatInterval: Duration
    var heartbeatTimeout: Duration
    var running: [RunningKey: RunningTask] = [:]
    /// Assignments beyond the free slots: one per worker is prefetched so a slot
    /// never waits for the coordinator's round trip.
    var queued: [(key: RunningKey, work: Work)] = []
    typealias Work = @Sendable (any ShardExecutor) throws(WorkerError) -> Tensor
    /// Assignments the coordinator may send beyond `slots` (mirrored by the coordinator).
    static let prefetch = 1
    var embeds = EmbeddingsCache(capacity: 16)
    /// Results sent recently, sent again after re-registering in case the
    /// coordinator restarted before recording them (duplicates are rejected as stale).
    var recentResults: [(at: Timestamp, frames: [Data])] = []
    var draining = false
    /// Why the loop must end now (a refusal it cannot fix), if any.
    var fatal: String?

    public init(config: WorkerConfig, executor: any ShardExecutor, logger: Logger) throws {
        self.config = config
        self.executor = executor
        self.logger = logger
        heartbeatInterval = config.heartbeatInterval
        heartbeatTimeout = config.heartbeatTimeout
        context = try ZMQContext()
        dealer = try DealerSocket(context: context)
        try dealer.set(.maxMessageSize(config.maxMessageBytes))
        try dealer.set(.linger(.seconds(2)))
        try dealer.set(.reconnectInterval(.milliseconds(200)))
        try dealer.set(.reconnectIntervalMax(.seconds(2)))
        try dealer.connect(config.coordinator)
    }

    /// Runs until `stop` turns true (then drains) or the coordinator refuses it.
    /// - Throws: ``WorkerError`` when the coordinator refuses this worker for good.
    public func run(until stop: () -> Bool) throws(WorkerError) {
        logger.info("worker starting", metadata: ["coordinator": "\(config.coordinator)", "name": "\(config.name)"])
        var drainStarted: Timestamp?
        while true {
            let now = Timestamp.now
            if stop(), drainStarted == nil {
                drainStarted = now
                draining = true
                for (key, _) in queued { sendFailure(key, WorkerError(.cancelled, "worker \(config.name) is stopping")) }
                queued.removeAll()
                logger.info("stopping: finishing running shards", metadata: ["running": "\(running.count)"])
            }
            if let started = drainStarted {
                if running.isEmpty || now.milliseconds - started.milliseconds > config.drainTimeout.milliseconds { break }
            }
            if let fatal { throw WorkerError(.internalError, fatal) }
            pump(now: now)
        }
        handBack()
        sayGoodbye(draining: true)
    }

    /// One turn: messages in, finished work out, heartbeats and registration.
    func pump(now: Timestamp) {
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
        if now.milliseconds - lastHeard.milliseconds > heartbeatTimeout.milliseconds, registered {
            logger.warning("coordinator silent; registering again")
            registered = false
        }
        if !registered, now.milliseconds - lastHello.milliseconds >= max(heartbeatInterval.milliseconds, 500) {
            sendHello(now: now)
        }
        if registered, now.milliseconds - lastHeartbeat.milliseconds >= heartbeatInterval.milliseconds {
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

    func sendHello(now: Timestamp) {
        lastHello = now
        var hello = Reel_V1_Hello()
        hello.workerName = config.name
        hello.host = ProcessInfo.processInfo.hostName
        hello.cores = UInt32(ProcessInfo.processInfo.activeProcessorCount)
        hello.threads = UInt32(config.threads)
        hello.slots = UInt32(config.slots)
        hello.protocolVersion = WireProtocol.version
        hello.kinds = [.denoise, .decode]
        hello.software = "reel"
        do {
            let models = try executor.models()
            hello.models = models.map(\.name)
            hello.modelInfos = models.map { model in
                var info = Self.info(model)
                info.decodeWarmupFrames = UInt32(executor.decodeWarmup(model: model.name))
                return info
            }
        } catch {
            logger.error("cannot list models", metadata: ["error": "\(error)"])
        }
        var envelope = Reel_V1_Envelope()
        envelope.body = .hello(hello)
        _ = send(envelope)
    }

    func sendHeartbeat(now: Timestamp) {
        lastHeartbeat = now
        var heartbeat = Reel_V1_Heartbeat()
        heartbeat.sentUnixMs = UInt64(now.milliseconds)
        heartbeat.freeSlots = UInt32(max(0, config.slots + Self.prefetch - running.count - queued.count))
        heartbeat.running = (Array(running.keys) + queued.map(\.key)).map(\.wire)
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
        return info
    }
}
