import Foundation
import Logging
import ReelPlan
import ReelStore
import ReelWire

/// The farm's event loop: one thread that owns the ZeroMQ ROUTER workers connect
/// to and every running job's state machines.
///
/// The loop never does heavy work. It decides; off-loop lanes carry out what
/// takes time and report the outcome back as a ``LoopEvent``:
/// - `inputs` builds assignments (reads and blends the neighbours' outputs from the
///   blob store, makes noise, encodes the frames);
/// - `records` checks, stores and commits results (fsync'd blobs, one transaction
///   per result on its own PostgreSQL connection), blends the finished clip to
///   disk, and joins the video;
/// - `parser` parses envelopes too large to parse on the loop (a decode result
///   carrying its segment).
///
/// PostgreSQL decides every transition that matters: a result counts once its
/// transaction commits, and memory follows the database's answer — committed,
/// stale, the worker's fault, or unrecorded. The loop's own statements (claims,
/// lease extensions, requeues) are small, and its connection commits without
/// waiting for the WAL flush: what a database crash could lose there is a lease,
/// which the reconciler finds again. So the loop keeps serving heartbeats and the
/// API whatever the jobs' sizes.
public final class Coordinator {
    let config: CoordinatorConfig
    /// The loop's connection: claims, lease changes, job state.
    let store: FarmStore
    /// The `records` lane's connection, used on that lane's thread only.
    let recordStore: LaneBound<FarmStore>
    /// The `queries` lane's connection: the API's reads and heartbeat stamps.
    let queryStore: LaneBound<FarmStore>
    let blobs: BlobStore
    let mailbox: CoordinatorMailbox
    let videoJoiner: VideoJoiner
    var logger: Logger
    let context: ZMQContext
    let router: RouterSocket
    /// The endpoint actually bound (a `*` port resolved).
    public let endpoint: String
    let inputs = OffLoopLane(name: "reel-inputs")
    let records = OffLoopLane(name: "reel-records")
    /// Parses envelopes too large to parse on the loop (a decode result carries
    /// its H.264 segment, tens of megabytes at 1920×1088).
    let parser = OffLoopLane(name: "reel-parser")
    /// Answers the API's reads (job and worker status, video paths, the database
    /// check) and stamps heartbeats, on its own connection: when PostgreSQL is
    /// slow to answer, only these answers wait, not the loop.
    let queries = OffLoopLane(name: "reel-queries")
    /// Frame 0 sizes above which the envelope is parsed off the loop.
    static let largeEnvelope = 256 << 10
    let clock: FarmClock
    /// Which offered results to pull, and when (bounds the results in memory).
    var intake: ResultIntake
    /// The buffers inputs are blended into (bounds the inputs in memory).
    let inputBuffers: InputBufferPool

    var workers: [PeerID: ConnectedWorker] = [:]
    var jobs: [Int64: JobRuntime] = [:]
    /// Results handed to the `records` lane and not yet answered: neither lease
    /// expiry nor a lost worker may requeue these, since their output may commit.
    var persisting: Set<WorkRef> = []
    /// Peers whose large message is being parsed off the loop, with the messages
    /// that came from them since: handled after it, so each peer's messages keep
    /// their order (a heartbeat never overtakes the result it follows).
    var parsing: [PeerID: [[Data]]] = [:]
    /// When this process started: leases held by workers that never re-register
    /// after a restart are released one heartbeat timeout later.
    let startedAt: ContinuousClock.Instant
    var lastMaintenance: ContinuousClock.Instant
    var lastHeartbeat: ContinuousClock.Instant
    var lastReconcile: ContinuousClock.Instant
    var lastPrune: ContinuousClock.Instant
    var lastTurn: ContinuousClock.Instant
    var rejections = RateLimitedLog(perInterval: 20, interval: .seconds(10))
    /// Slow turns are logged with their phases, a few per interval.
    var slowTurnLog = RateLimitedLog(perInterval: 5, interval: .seconds(10))
    /// Loop health and throughput, for `reel bench farm` and `/v1/health`.
    public internal(set) var statistics = LoopStatistics()

    /// Binds the ROUTER and rebuilds running jobs from the database (migrated by
    /// the caller). `store`, `recordStore` and `queryStore` must be three connections.
    public init(
        config: CoordinatorConfig, store: FarmStore, recordStore: FarmStore, queryStore: FarmStore, blobs: BlobStore, mailbox: CoordinatorMailbox,
        videoJoiner: @escaping VideoJoiner, logger: Logger
    ) throws {
        self.config = config
        self.store = store
        self.recordStore = LaneBound(recordStore)
        self.queryStore = LaneBound(queryStore)
        self.blobs = blobs
        self.mailbox = mailbox
        self.videoJoiner = videoJoiner
        self.logger = logger
        clock = FarmClock()
        intake = ResultIntake(capacity: config.resultsPulledAtOnce, arrivalTimeout: config.heartbeatTimeout)
        inputBuffers = InputBufferPool(limit: config.inputsInMemory)
        let now = ContinuousClock.now
        startedAt = now
        lastMaintenance = now
        lastHeartbeat = now
        lastReconcile = now
        lastPrune = now - .seconds(3600)
        lastTurn = now
        // The loop's statements are recoverable (see the type's documentation), so
        // they need not wait for the WAL flush; results commit on `recordStore`.
        try store.connection.execute("SET synchronous_commit TO off", name: "loop connection settings")
        context = try ZMQContext()
        router = try RouterSocket(context: context)
        try router.set(.maxMessageSize(config.maxMessageBytes))
        try router.set(.routerMandatory(true))
        // A worker that reconnects keeps its routing id; the new connection takes it over.
        try router.set(.routerHandover(true))
        try router.set(.linger(.milliseconds(500)))
        try router.set(.sendHighWaterMark(10_000))
        endpoint = try router.bind(config.listen)
        try recover()
    }

    /// Runs until `stop` returns true, then says goodbye to the workers.
    public func run(until stop: () -> Bool) {
        logger.info("coordinator listening", metadata: ["endpoint": "\(endpoint)", "zmq": "\(ZMQContext.libraryVersion)"])
        lastTurn = .now
        while !stop() {
            turn(timeout: .milliseconds(10))
        }
        shutdown()
    }

    /// One pass of the loop: messages first (so results free slots), then what the
    /// lanes finished, commands, timers and dispatch.
    func turn(timeout: Duration) {
        let begin = ContinuousClock.now
        let cpu = CPUTime.thread
        defer { statistics.loopCPU += CPUTime.thread - cpu }
        let gap = begin - lastTurn
        lastTurn = begin
        statistics.noteGap(gap)
        if gap > config.heartbeatTimeout / 2 {
            // The loop itself was not listening (a stopped process, a starved CPU):
            // nobody's silence during the gap is evidence against them.
            for peer in workers.keys { workers[peer]?.lastSeen = begin }
            logger.warning("event loop paused", metadata: ["ms": "\(gap.milliseconds)"])
        }
        var profile = TurnProfile()
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
            profile.mark("socket")
            guard let (peer, frames) = received else { break }
            wait = .zero
            statistics.bytesIn += frames.reduce(0) { $0 + $1.count }
            handle(peer: peer, frames: frames)
            profile.mark("messages")
        }
        let work = ContinuousClock.now
        for event in parser.drain() + inputs.drain() + records.drain() + queries.drain() { apply(event) }
        profile.mark("lane outcomes")
        for entry in mailbox.drain() { receive(entry) }
        profile.mark("API")
        let now = ContinuousClock.now
        if now - lastMaintenance >= .milliseconds(100) {
            lastMaintenance = now
            checkWorkers(now: now)
            checkLeases()
            checkStarvation()
            profile.mark("timeouts")
        }
        if now - lastHeartbeat >= config.heartbeatInterval {
            lastHeartbeat = now
            sendHeartbeats()
            profile.mark("heartbeats")
        }
        if now - lastReconcile >= config.reconcileInterval {
            lastReconcile = now
            reconcileWithDatabase()
            profile.mark("reconcile")
        }
        if now - lastPrune >= .seconds(3600) {
            lastPrune = now
            pruneEvents()
            expireResults()
        }
        dispatch()
        profile.mark("dispatch")
        statistics.busy += ContinuousClock.now - work
        if profile.wall > TurnProfile.slow, let dropped = slowTurnLog.admit(now: .now) {
            logger.warning("slow loop turn", metadata: ["ms": "\(profile.wall.milliseconds)", "phases": "\(profile.summary)", "unlogged_before": "\(dropped)"])
        }
    }

    /// Decodes and routes one message; anything malformed is logged and dropped.
    ///
    /// Results carry tensors or segments whose checksums take time to verify, so
    /// only their envelope is read here; the `records` lane checks the rest.
    func handle(peer: PeerID, frames: [Data]) {
        if parsing[peer] != nil {
            parsing[peer]?.append(frames)
            return
        }
        let limits = WireLimits(maxMessageBytes: config.maxMessageBytes)
        if let first = frames.first, first.count > Self.largeEnvelope {
            parsing[peer] = []
            parser.submit {
                let envelope = Result { () throws(WireError) in try WireCodec.decodeEnvelope(frames, limits: limits) }
                return .envelopeParsed(peer: peer, frames: frames, envelope: envelope)
            }
            return
        }
        route(peer: peer, frames: frames, envelope: Result { () throws(WireError) in try WireCodec.decodeEnvelope(frames, limits: limits) })
    }

    /// A large envelope is parsed: route it, then the peer's messages that waited.
    func envelopeParsed(peer: PeerID, frames: [Data], envelope: Result<Reel_V1_Envelope, WireError>) {
        route(peer: peer, frames: frames, envelope: envelope)
        let waiting = parsing.removeValue(forKey: peer) ?? []
        for (index, message) in waiting.enumerated() {
            handle(peer: peer, frames: message)
            if parsing[peer] != nil {
                // Another large one: the rest wait behind it, still in order.
                parsing[peer]?.append(contentsOf: waiting[(index + 1)...])
                return
            }
        }
    }

    func route(peer: PeerID, frames: [Data], envelope decoded: Result<Reel_V1_Envelope, WireError>) {
        let envelope: Reel_V1_Envelope
        switch decoded {
        case .success(let parsed): envelope = parsed
        case .failure(let error):
            reject(peer: peer, "malformed message: \(error)")
            if case .protocolVersionMismatch = error { refuse(peer, .protocolVersion, "\(error)") }
            return
        }
        switch envelope.body {
        case .shardResult(let result)?:
            let work = WorkRef.shard(job: Int64(clamping: result.jobID), ShardID(region: Int(result.region), block: Int(result.block)))
            let pulled = intake.arrived(work, attempt: Int(result.attempt), from: peer)
            handleShardResult(peer: peer, result, frames: frames)
            if pulled { settleIfNotRecording(work) }
        case .decodeResult(let result)?:
            let work = WorkRef.chunk(job: Int64(clamping: result.jobID), Int(result.chunk))
            let pulled = intake.arrived(work, attempt: Int(result.attempt), from: peer)
            handleDecodeResult(peer: peer, result, frames: frames)
            if pulled { settleIfNotRecording(work) }
        case .resultOffer(let offer)?: handleResultOffer(peer: peer, offer)
        case .hello(let hello)?: handleHello(peer: peer, hello)
        case .heartbeat(let heartbeat)?: handleHeartbeat(peer: peer, heartbeat)
        case .shardFailure(let failure)?: handleFailure(peer: peer, failure)
        case .goodbye(let goodbye)?: handleGoodbye(peer: peer, goodbye)
        case .welcome?, .refusal?, .shardAssignment?, .decodeAssignment?, .cancel?, .resultPull?:
            reject(peer: peer, "a worker may not send \(Self.bodyName(envelope))")
        case nil:
            reject(peer: peer, "message without a body")
        }
    }

    /// Applies what a lane finished.
    func apply(_ event: LoopEvent) {
        switch event {
        case .assignmentBuilt(let peer, let work, let token, let frames):
            assignmentBuilt(peer: peer, work: work, token: token, frames: frames)
        case .shardRecorded(let peer, let worker, let job, let shard, let attempt, let outcome):
            shardRecorded(peer: peer, worker: worker, job: job, shard: shard, attempt: attempt, outcome: outcome)
        case .segmentRecorded(let peer, let worker, let job, let chunk, let attempt, let outcome):
            segmentRecorded(peer: peer, worker: worker, job: job, chunk: chunk, attempt: attempt, outcome: outcome)
        case .clipBlended(let job, let outcome):
            clipBlended(job, outcome)
        case .videoJoined(let job, let outcome):
            videoJoined(job, outcome)
        case .jobStored(let outcome, let reply):
            jobStored(outcome, reply: reply)
        case .envelopeParsed(let peer, let frames, let envelope):
            envelopeParsed(peer: peer, frames: frames, envelope: envelope)
        case .none:
            break
        }
    }

    /// Logs a rejected message (rate-limited, so junk traffic cannot flood the log
    /// or the events table); the loop goes on.
    func reject(peer: PeerID, job: Int64? = nil, shard: ShardID? = nil, _ reason: String) {
        statistics.rejected += 1
        guard let suppressed = rejections.admit(now: .now) else { return }
        let worker = workers[peer]?.name
        var metadata: Logger.Metadata = ["peer": "\(worker ?? String(peer.description.prefix(24)))", "reason": "\(reason.prefix(300))"]
        if suppressed > 0 { metadata["suppressed"] = "\(suppressed)" }
        logger.warning("rejected", metadata: metadata)
        record(job: job, shard: shard, worker: worker, kind: "rejected", reason)
    }

    /// Appends to the events log, off the loop; a failure to log is itself only logged.
    func record(job: Int64? = nil, shard: ShardID? = nil, worker: String? = nil, kind: EventKind, _ detail: String) {
        let store = recordStore
        let logger = logger
        let detail = String(detail.prefix(2000))
        records.submit {
            do {
                try store.value.appendEvent(kind: kind, job: job, shard: shard, worker: worker, detail: detail)
            } catch {
                logger.error("cannot append event", metadata: ["error": "\(error)"])
            }
            return .none
        }
    }

    /// Sends `frames` to `peer`; a vanished peer is dropped.
    @discardableResult
    func send(frames: [Data], to peer: PeerID) -> Bool {
        do {
            try router.send(to: peer, frames: frames)
            statistics.bytesOut += frames.reduce(0) { $0 + $1.count }
            return true
        } catch {
            logger.warning("send failed", metadata: ["peer": "\(workers[peer]?.name ?? peer.description)", "error": "\(error)"])
            return false
        }
    }

    /// Sends `envelope` (no tensors) to `peer`.
    @discardableResult
    func send(_ envelope: Reel_V1_Envelope, to peer: PeerID) -> Bool {
        do {
            return send(frames: try WireCodec.encode(envelope, tensors: []), to: peer)
        } catch {
            logger.error("cannot encode a message", metadata: ["error": "\(error)"])
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
    /// Work the lanes still hold finishes first, so nothing accepted is dropped.
    func shutdown() {
        mailbox.close()
        var goodbye = Reel_V1_Goodbye()
        goodbye.reason = "coordinator shutting down"
        var envelope = Reel_V1_Envelope()
        envelope.body = .goodbye(goodbye)
        for peer in workers.keys { send(envelope, to: peer) }
        parser.stop()
        inputs.stop()
        records.stop()
        queries.stop()
        for event in records.drain() { apply(event) }
        router.close()
        logger.info("coordinator stopped", metadata: ["longest_loop_gap_ms": "\(statistics.longestGap.milliseconds)"])
    }

    static func bodyName(_ envelope: Reel_V1_Envelope) -> String {
        guard let body = envelope.body else { return "nothing" }
        return "\(body)".split(separator: "(").first.map(String.init) ?? "a message"
    }
}
