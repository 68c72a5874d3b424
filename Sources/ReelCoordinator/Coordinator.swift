import Foundation
import Logging
import ReelPlan
import ReelStore
import ReelTensor
import ReelWire

/// The farm's event loop: one thread that owns the ZeroMQ ROUTER workers connect
/// to, and the I/O layer around the ``CoordinatorCore``.
///
/// The core decides: it holds the workers, the running jobs' state machines and
/// the results in flight, takes each event (a message, a tick, the outcome of a
/// statement or of lane work) and returns actions. This class turns sockets,
/// lanes and timers into events, carries out every action the core returns
/// (``perform(_:)``), and feeds each outcome back as the next event.
///
/// The loop never does heavy work. Off-loop lanes carry out what takes time and
/// report the outcome back as a ``LoopEvent``:
/// - `inputs` (two threads) builds assignments (reads and blends the neighbours' outputs from the
///   blob store, makes noise, encodes the frames);
/// - `parser` checks shard results (SHA-256, shape, finiteness) and parses
///   envelopes too large to parse on the loop (a decode result carrying its segment);
/// - `blobs` writes checked shard outputs to the blob store, fsync'd;
/// - `records` stores and commits results (fsync'd blobs, one transaction per
///   result on its own PostgreSQL connection), blends the finished clip to disk,
///   and joins the video;
/// - `statements` runs the loop's frequent statements (claims, lease extensions,
///   worker states, the reconciler's read), whose answers come back on a later turn.
///
/// PostgreSQL decides every transition that matters: a result counts once its
/// transaction commits, and memory follows the database's answer — committed,
/// stale, the worker's fault, or unrecorded. The loop's own remaining statements
/// (registrations, releases, requeues) are small and rare, and its connection (and
/// the statements lane's) commits without waiting for the WAL flush: what a
/// database crash could lose there is a lease, which the reconciler finds again.
/// So the loop keeps serving heartbeats and the API whatever the jobs' sizes.
public final class Coordinator {
    let config: CoordinatorConfig
    /// The loop's connection: registrations, releases, requeues, job state.
    let store: FarmStore
    /// The `records` lane's connection, used on that lane's thread only.
    let recordStore: LaneBound<FarmStore>
    /// The `queries` lane's connection: the API's reads and heartbeat stamps.
    let queryStore: LaneBound<FarmStore>
    /// The `statements` lane's connection: claims, lease extensions, worker
    /// states and the reconciler's read (see `Coordinator+Statements.swift`).
    let statementStore: LaneBound<FarmStore>
    let blobs: BlobStore
    let mailbox: CoordinatorMailbox
    let videoJoiner: VideoJoiner
    /// Checks each segment before it is stored (the service sets libav's); nil checks only its digest and frame count.
    public var segmentInspector: SegmentInspector?
    /// Makes each stored segment's preview still (the service sets libav's); nil makes none.
    public var segmentPreviewer: SegmentPreviewer?
    var logger: Logger
    let context: ZMQContext
    let router: RouterSocket
    /// CURVE's allow-list and ZAP handler; `nil` in plaintext (see Coordinator+Curve.swift).
    let security: CoordinatorSecurity?
    /// The endpoint actually bound (a `*` port resolved).
    public let endpoint: String
    /// Builds assignments, on two threads (see ``LaneGroup``).
    let inputs = LaneGroup(name: "reel-inputs", count: 2)
    let records = OffLoopLane(name: "reel-records")
    /// Writes checked shard outputs to the blob store (fsync'd) before `records`
    /// commits them: the kernel's copy of 8 MB into the page cache was half the
    /// records lane's time, so each stage of storing a result has its own thread.
    let blobWriter = OffLoopLane(name: "reel-blobs")
    /// Parses envelopes too large to parse on the loop (a decode result carries
    /// its H.264 segment, tens of megabytes at 1920×1088).
    let parser = OffLoopLane(name: "reel-parser")
    /// Answers the API's reads (job and worker status, video paths, the database
    /// check) and stamps heartbeats, on its own connection: when PostgreSQL is
    /// slow to answer, only these answers wait, not the loop.
    let queries = OffLoopLane(name: "reel-queries")
    /// Runs the loop's frequent statements, in order, so a slow answer from
    /// PostgreSQL delays that answer and not the loop (`Coordinator+Statements.swift`).
    let statements = OffLoopLane(name: "reel-statements")
    /// Joins each job's video from its segments: usually milliseconds of copied
    /// packets, but an extended clip's source is decoded, conformed and encoded
    /// here first (seconds per second of source), which on `records` would hold
    /// every other job's commits back. The job's record then goes to `records`.
    let joins = OffLoopLane(name: "reel-joins")
    /// Frame 0 sizes above which the envelope is parsed off the loop.
    static let largeEnvelope = 256 << 10
    let clock: FarmClock
    /// The buffers inputs are blended into (bounds the inputs in memory).
    let inputBuffers: InputBufferPool
    /// The farm's state and every decision about workers, shards and leases; this
    /// class carries out what it decides (``Coordinator/perform(_:)``).
    var core: CoordinatorCore
    /// Peers whose large message is being parsed off the loop, with the messages
    /// that came from them since: handled after it, so each peer's messages keep
    /// their order (a heartbeat never overtakes the result it follows).
    var parsing: [PeerID: [[Data]]] = [:]
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
    /// the caller). `store`, `recordStore`, `queryStore` and `statementStore` must be four connections.
    public init(
        config: CoordinatorConfig, store: FarmStore, recordStore: FarmStore, queryStore: FarmStore, statementStore: FarmStore, blobs: BlobStore,
        mailbox: CoordinatorMailbox,
        videoJoiner: @escaping VideoJoiner, logger: Logger
    ) throws {
        self.config = config
        self.store = store
        self.recordStore = LaneBound(recordStore)
        self.queryStore = LaneBound(queryStore)
        self.statementStore = LaneBound(statementStore)
        self.blobs = blobs
        self.mailbox = mailbox
        self.videoJoiner = videoJoiner
        self.logger = logger
        clock = FarmClock()
        inputBuffers = InputBufferPool(limit: config.inputsInMemory)
        for lane in [records, parser, blobWriter, joins] { lane.runHeavyWork(atNice: config.heavyLaneNice) }
        inputs.runHeavyWork(atNice: config.heavyLaneNice)
        let now = ContinuousClock.now
        core = CoordinatorCore(config: config, startedAt: now)
        lastMaintenance = now
        lastHeartbeat = now
        lastReconcile = now
        lastPrune = now - .seconds(3600)
        lastTurn = now
        // The loop's statements (and the statements lane's) are recoverable (see the
        // type's documentation), so they need not wait for the WAL flush; results
        // commit on `recordStore`.
        try store.connection.execute("SET synchronous_commit TO off", name: "loop connection settings")
        try statementStore.connection.execute("SET synchronous_commit TO off", name: "statements connection settings")
        context = try ZMQContext(ioThreads: config.zmqIOThreads)
        security = try CoordinatorSecurity.start(config: config, context: context, logger: logger)
        router = try RouterSocket(context: context)
        if let security { try router.enableCurveServer(security.keyPair, zapDomain: "reel-workers") }
        try router.set(.maxMessageSize(config.maxMessageBytes))
        try router.set(.routerMandatory(true))
        // A worker that reconnects keeps its routing id; the new connection takes it over.
        try router.set(.routerHandover(true))
        try router.set(.linger(.milliseconds(500)))
        try router.set(.sendHighWaterMark(10_000))
        endpoint = try router.bind(config.listen)
        timeStatements()
        try recover()
    }

    /// Runs until `stop` returns true, then says goodbye to the workers.
    public func run(until stop: () -> Bool) {
        logger.info("coordinator listening", metadata: ["endpoint": "\(endpoint)", "zmq": "\(ZMQContext.libraryVersion)", "curve": "\(security != nil)"])
        if config.loopNice < 0, !ThreadPriority.raiseCurrentThread(to: config.loopNice) {
            logger.info(
                "the loop runs at the default priority: raising it needs root or CAP_SYS_NICE",
                metadata: ["asked nice": "\(config.loopNice)"])
        }
        lastTurn = .now
        while !stop() {
            // While no lane holds work, nothing can finish there: only a message (which
            // ends the wait at once) or an API request (which waits at most this long)
            // gives the loop something to do. So an idle loop turns 20 times a second,
            // not 100, and its cost per second stays small beside the shards.
            let idle = inputs.backlog + records.backlog + parser.backlog + blobWriter.backlog + queries.backlog + statements.backlog + joins.backlog == 0
            turn(timeout: .milliseconds(idle ? 50 : 10))
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
        feed(.loopPaused(gap: gap, at: LoopTime(instant: begin, stamp: clock.now)))
        var profile = TurnProfile()
        var wait: Duration? = timeout
        // Drain what is queued, but bounded so timers still run under load.
        for _ in 0 ..< 256 {
            let received: (peer: PeerID, frames: [Data])?
            do {
                received = try receiveFromWorkers(timeout: wait)
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
        for event in parser.drain() + inputs.drain() + blobWriter.drain() + joins.drain() + records.drain() + queries.drain() + statements.drain() {
            apply(event)
        }
        profile.mark("lane outcomes")
        for entry in mailbox.drain() { receive(entry) }
        profile.mark("API")
        let now = ContinuousClock.now
        if now - lastMaintenance >= .milliseconds(100) {
            lastMaintenance = now
            feed(.tick(at: LoopTime(instant: now, stamp: clock.now)))
            profile.mark("timeouts")
        }
        if now - lastHeartbeat >= config.heartbeatInterval {
            lastHeartbeat = now
            feed(.heartbeatDue)
            profile.mark("heartbeats")
        }
        if now - lastReconcile >= config.reconcileInterval {
            lastReconcile = now
            feed(.reconcileDue)
            profile.mark("reconcile")
        }
        if now - lastPrune >= .seconds(3600) {
            lastPrune = now
            pruneEvents()
            expireResults()
        }
        let lanesBehind = inputs.backlog >= config.maxLaneBacklog || records.backlog + blobWriter.backlog >= config.maxLaneBacklog
        feed(.dispatchDue(at: time(), lanesBehind: lanesBehind))
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
            if result.hasTimings { metrics.observe(result.timings, decode: false) }
            let shard = ShardID(region: Int(result.region), block: Int(result.block))
            feed(.shardResult(peer, job: Int64(clamping: result.jobID), shard: shard, token: Int(result.attempt), frames: frames, at: time()))
        case .decodeResult(let result)?:
            if result.hasTimings { metrics.observe(result.timings, decode: true) }
            feed(.decodeResult(peer, result, at: time()))
        case .promptResult(let result)?:
            feed(.promptResult(peer, job: Int64(clamping: result.jobID), token: Int(result.attempt), frames: frames, at: time()))
        case .resultOffer(let offer)?: feed(.resultOffer(peer, offer, at: time()))
        case .hello(let hello)?: feed(.hello(peer, hello, at: time()))
        case .heartbeat(let heartbeat)?: feed(.heartbeat(peer, running: heartbeat.running, at: time(), freeSlots: Int(heartbeat.freeSlots)))
        case .shardFailure(let failure)?: feed(.failure(peer, failure, at: time()))
        case .goodbye(let goodbye)?: feed(.goodbye(peer, reason: goodbye.reason, at: time()))
        case .sourceResult(let result)?:
            feed(
                .sourceResult(
                    peer, job: Int64(clamping: result.jobID), encoding: Int(result.encoding), token: Int(result.attempt), frames: frames, at: time()))
        case .welcome?, .refusal?, .shardAssignment?, .decodeAssignment?, .cancel?, .resultPull?, .promptAssignment?, .sourceAssignment?:
            reject(peer: peer, "a worker may not send \(Self.bodyName(envelope))")
        case nil:
            reject(peer: peer, "message without a body")
        }
    }

    /// Applies what a lane finished.
    func apply(_ event: LoopEvent) {
        switch event {
        case .assignmentBuilt(let peer, let work, let token, let frames):
            feed(.assignmentBuilt(peer: peer, work: work, token: token, frames: frames))
        case .shardRecorded(let peer, let worker, let job, let shard, let attempt, let outcome):
            feed(.shardRecorded(peer: peer, worker: worker, job: job, shard: shard, attempt: attempt, outcome: outcome, at: time()))
        case .segmentRecorded(let peer, let worker, let job, let chunk, let attempt, let outcome):
            feed(.segmentRecorded(peer: peer, worker: worker, job: job, chunk: chunk, attempt: attempt, outcome: outcome, at: time()))
        case .clipBlended(let job, let outcome):
            feed(.clipBlended(job, outcome: outcome))
        case .videoJoined(let job, let outcome):
            feed(.videoJoined(job, outcome: outcome))
        case .promptRecorded(let peer, let worker, let job, let attempt, let outcome):
            feed(.promptRecorded(peer: peer, worker: worker, job: job, attempt: attempt, outcome: outcome, at: time()))
        case .sourceRecorded(let peer, let worker, let job, let index, let attempt, let outcome):
            feed(.sourceRecorded(peer: peer, worker: worker, job: job, encoding: index, attempt: attempt, outcome: outcome, at: time()))
        case .rerunCompared(let worker, let job, let shard, let token, let vote):
            feed(.rerunCompared(worker: worker, job: job, shard: shard, token: token, vote: vote, at: time()))
        case .verificationSettled(let job, let shard, let token, let adopt, let quarantine, let outcome):
            feed(.verificationSettled(job: job, shard: shard, token: token, adopt: adopt, quarantine: quarantine, outcome: outcome))
        case .shardsInvalidated(let job, let reason, let outcome):
            feed(.shardsInvalidated(job: job, reason: reason, outcome: outcome))
        case .decodeInvalidated(let job, let reason, let outcome):
            feed(.decodeInvalidated(job: job, reason: reason, outcome: outcome))
        case .jobStored(let outcome, let reply):
            jobStored(outcome, reply: reply)
        case .envelopeParsed(let peer, let frames, let envelope):
            envelopeParsed(peer: peer, frames: frames, envelope: envelope)
        case .core(let event):
            feed(event)
        case .none:
            break
        }
    }

    /// Logs a rejected message (rate-limited, so junk traffic cannot flood the log
    /// or the events table); the loop goes on.
    func reject(peer: PeerID, worker: String? = nil, job: Int64? = nil, shard: ShardID? = nil, _ reason: String) {
        statistics.rejected += 1
        guard let suppressed = rejections.admit(now: .now) else { return }
        let worker = worker ?? core.workers[peer]?.name
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
            logger.warning("send failed", metadata: ["peer": "\(core.workers[peer]?.name ?? peer.description)", "error": "\(error)"])
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
        for peer in core.workers.keys { send(envelope, to: peer) }
        // In pipeline order: a lane's last work may hand on to the next.
        parser.stop()
        inputs.stop()
        // Before `records`: a finished join hands its record to `records`.
        joins.stop()
        blobWriter.stop()
        records.stop()
        queries.stop()
        statements.stop()
        for event in blobWriter.drain() + joins.drain() + records.drain() { apply(event) }
        router.close()
        security?.stop()
        logger.info("coordinator stopped", metadata: ["longest_loop_gap_ms": "\(statistics.longestGap.milliseconds)"])
    }

    static func bodyName(_ envelope: Reel_V1_Envelope) -> String {
        guard let body = envelope.body else { return "nothing" }
        return "\(body)".split(separator: "(").first.map(String.init) ?? "a message"
    }
}
