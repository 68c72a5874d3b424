import Foundation
import Logging
import ReelPlan
import ReelStore
import ReelTensor
import ReelWire

/// The farm's event loop: one thread that owns the ZeroMQ ROUTER workers connect
/// to, the PostgreSQL connection and every running job. Transitions are decided by
/// the pure state machines of `ReelPlan`; the loop performs the I/O they ask for,
/// always persisting before acknowledging, so a restarted coordinator rebuilds the
/// same state from PostgreSQL and the data directory.
public final class Coordinator {
    let config: CoordinatorConfig
    let store: FarmStore
    let blobs: BlobStore
    let mailbox: CoordinatorMailbox
    let videoSink: VideoSinkFactory
    var logger: Logger
    let context: ZMQContext
    let router: RouterSocket
    /// The endpoint actually bound (a `*` port resolved).
    public let endpoint: String

    var workers: [PeerID: ConnectedWorker] = [:]
    var jobs: [Int64: JobRuntime] = [:]
    /// Open video writers of jobs in the decode stage.
    var sinks: [Int64: any VideoSink] = [:]
    /// When this process started: leases held by workers that never re-register
    /// after a restart are released one heartbeat timeout later.
    let startedAt: Timestamp
    var lastMaintenance = Timestamp(milliseconds: 0)
    var lastHeartbeat = Timestamp(milliseconds: 0)
    /// Time spent handling results, dispatching and persisting, for `reel bench farm`.
    public internal(set) var busyTime: Duration = .zero
    public internal(set) var shardsCompleted = 0

    /// Binds the ROUTER, applies migrations' results (the store is migrated by the
    /// caller) and rebuilds running jobs from the database.
    public init(
        config: CoordinatorConfig, store: FarmStore, blobs: BlobStore, mailbox: CoordinatorMailbox,
        videoSink: @escaping VideoSinkFactory, logger: Logger
    ) throws {
        self.config = config
        self.store = store
        self.blobs = blobs
        self.mailbox = mailbox
        self.videoSink = videoSink
        self.logger = logger
        startedAt = .now
        context = try ZMQContext()
        router = try RouterSocket(context: context)
        try router.set(.maxMessageSize(config.maxMessageBytes))
        try router.set(.routerMandatory(true))
        try router.set(.linger(.milliseconds(500)))
        try router.set(.sendHighWaterMark(10_000))
        endpoint = try router.bind(config.listen)
        try recover()
    }

    /// Runs until `stop` returns true, then says goodbye to the workers.
    public func run(until stop: () -> Bool) {
        logger.info("coordinator listening", metadata: ["endpoint": "\(endpoint)", "zmq": "\(ZMQContext.libraryVersion)"])
        while !stop() {
            turn(timeout: .milliseconds(10))
        }
        shutdown()
    }

    /// One pass of the loop: messages first (so results free slots), then
    /// commands, timers and dispatch.
    func turn(timeout: Duration) {
        var wait: Duration? = timeout
        // Drain what is queued, but bounded so timers still run under load.
        for _ in 0 ..< 256 {
            let received: (peer: PeerID, frames: [Data])?
            do {
                received = try router.receive(timeout: wait)
            } catch {
                logger.error("receive failed", metadata: ["error": "\(error)"])
                break
            }
            guard let (peer, frames) = received else { break }
            wait = .zero
            let start = ContinuousClock.now
            handle(peer: peer, frames: frames)
            busyTime += ContinuousClock.now - start
        }
        for entry in mailbox.drain() { entry.reply(answer(entry.command)) }
        let now = Timestamp.now
        if now.milliseconds - lastMaintenance.milliseconds >= 100 {
            lastMaintenance = now
            let start = ContinuousClock.now
            checkWorkers(now: now)
            checkLeases(now: now)
            checkStarvation()
            busyTime += ContinuousClock.now - start
        }
        if now.milliseconds - lastHeartbeat.milliseconds >= config.heartbeatInterval.milliseconds {
            lastHeartbeat = now
            sendHeartbeats(now: now)
        }
        let start = ContinuousClock.now
        dispatch(now: now)
        busyTime += ContinuousClock.now - start
    }

    /// Decodes and routes one message; anything malformed is logged and dropped.
    func handle(peer: PeerID, frames: [Data]) {
        let message: WireMessage
        do {
            message = try WireCodec.decode(frames, limits: WireLimits(maxMessageBytes: config.maxMessageBytes))
        } catch {
            reject(peer: peer, "malformed message: \(error)")
            if case .protocolVersionMismatch = error { refuse(peer, .protocolVersion, "\(error)") }
            return
        }
        let envelope = message.envelope
        switch envelope.body {
        case .hello(let hello)?: handleHello(peer: peer, hello)
        case .heartbeat(let heartbeat)?: handleHeartbeat(peer: peer, heartbeat)
        case .shardResult(let result)?: handleShardResult(peer: peer, result, message: message)
        case .shardFailure(let failure)?: handleFailure(peer: peer, failure)
        case .decodeResult(let result)?: handleDecodeResult(peer: peer, result, message: message)
        case .goodbye(let goodbye)?: handleGoodbye(peer: peer, goodbye)
        case .welcome?, .refusal?, .shardAssignment?, .decodeAssignment?, .cancel?, .drain?:
            reject(peer: peer, "a worker may not send \(Self.bodyName(envelope))")
        case nil:
            reject(peer: peer, "message without a body")
        }
    }

    /// Logs a rejected message in the log and the events table; the loop goes on.
    func reject(peer: PeerID, job: Int64? = nil, shard: ShardID? = nil, _ reason: String) {
        let worker = workers[peer]?.name
        logger.warning("rejected", metadata: ["peer": "\(worker ?? peer.description.prefix(12).description)", "reason": "\(reason)"])
        record(job: job, shard: shard, worker: worker, kind: "rejected", reason)
    }

    /// Appends to the events log; a failure to log is itself only logged.
    func record(job: Int64? = nil, shard: ShardID? = nil, worker: String? = nil, kind: EventKind, _ detail: String) {
        do {
            try store.appendEvent(kind: kind, job: job, shard: shard, worker: worker, detail: String(detail.prefix(2000)))
        } catch {
            logger.error("cannot append event", metadata: ["error": "\(error)"])
        }
    }

    /// Sends `envelope` (and tensors) to `peer`; a vanished peer is dropped.
    @discardableResult
    func send(_ envelope: Reel_V1_Envelope, tensors: [WireTensor] = [], to peer: PeerID) -> Bool {
        do {
            try router.send(to: peer, frames: try WireCodec.encode(envelope, tensors: tensors))
            return true
        } catch {
            logger.warning("send failed", metadata: ["peer": "\(workers[peer]?.name ?? peer.description)", "error": "\(error)"])
            return false
        }
    }

    func refuse(_ peer: PeerID, _ reason: Reel_V1_RefusalReason, _ message: String) {
        var refusal = Reel_V1_Refusal()
        refusal.reason = reason
        refusal.message = message
        refusal.protocolVersion = WireProtocol.version
        var envelope = Reel_V1_Envelope()
        envelope.body = .refusal(refusal)
        send(envelope, to: peer)
    }

    /// Tells every worker the coordinator is leaving; they reconnect to the next one.
    func shutdown() {
        mailbox.close()
        var goodbye = Reel_V1_Goodbye()
        goodbye.reason = "coordinator shutting down"
        var envelope = Reel_V1_Envelope()
        envelope.body = .goodbye(goodbye)
        for peer in workers.keys { send(envelope, to: peer) }
        for sink in sinks.values { sink.abort() }
        sinks.removeAll()
        router.close()
        logger.info("coordinator stopped")
    }

    static func bodyName(_ envelope: Reel_V1_Envelope) -> String {
        guard let body = envelope.body else { return "nothing" }
        return "\(body)".split(separator: "(").first.map(String.init) ?? "a message"
    }
}
