import Logging
import ReelPlan
import ReelStore
import ReelWire

/// The farm's decisions, without I/O: connected workers (their slots, held
/// embeddings, running work), running jobs with their shards' state machines,
/// results being recorded, and leases' deadlines.
///
/// Like the plan's state machines (and hummingbird's), it is a value: each event
/// is a `mutating func` (or ``handle(_:)``) that returns the actions the I/O layer
/// (``Coordinator``) must carry out: messages to send, statements to run, lane
/// work to start, lines to log. An action that runs a statement is answered by an
/// event carrying its outcome, so memory moves only with the database's answer,
/// and an unknown answer is settled by reading the row again. The core reads no
/// clock: time comes in with each event, monotonic.
struct CoordinatorCore: Sendable {
    let config: CoordinatorConfig
    /// When this process started: leases held by workers that never re-register
    /// after a restart are released one heartbeat timeout later.
    let startedAt: ContinuousClock.Instant
    var workers: [PeerID: ConnectedWorker] = [:]
    var jobs: [Int64: JobRuntime] = [:]
    /// Results handed to the `records` lane and not yet answered: neither lease
    /// expiry nor a lost worker may requeue these, since their output may commit.
    var persisting: Set<WorkRef> = []
    /// Losses (requeues, final failures) asked of the database and not yet
    /// answered: memory still holds the lease, and must not ask twice.
    var settling: Set<WorkRef> = []
    /// Which offered results to pull, and when (bounds the results in memory).
    var intake: ResultIntake
    /// Workers whose hello waits for the database to register them.
    var registering: [PeerID: ConnectedWorker] = [:]
    /// Workers quarantined (loaded at start, then by ballots, less those released):
    /// never sent a re-run, and a late result of theirs is reset.
    var quarantined: Set<String> = []
    /// Claims asked of the database and not yet answered, by worker (see
    /// `CoordinatorCore+Statements.swift`): such a worker gets nothing else meanwhile.
    var claiming: [PeerID: Int] = [:]
    /// What memory held when the reconciler's snapshot was asked for; `nil` while none is.
    var reconcileBaseline: ReconcileBaseline?

    init(config: CoordinatorConfig, startedAt: ContinuousClock.Instant) {
        self.config = config
        self.startedAt = startedAt
        intake = ResultIntake(capacity: config.resultsPulledAtOnce, arrivalTimeout: config.heartbeatTimeout)
    }

    /// Applies one event; returns what the I/O layer must do, in order.
    mutating func handle(_ event: CoordinatorEvent) -> [CoordinatorAction] {
        switch event {
        case .shardsClaimed(let peer, _, _, _, _), .chunksClaimed(let peer, _, _, _), .encodingsClaimed(let peer, _, _, _),
            .sourcesClaimed(let peer, _, _, _):
            claimAnswered(peer)
        default: break
        }
        let actions = apply(event)
        noteClaims(actions)
        noteBuilds(actions)
        return actions
    }

    private mutating func apply(_ event: CoordinatorEvent) -> [CoordinatorAction] {
        switch event {
        case .hello(let peer, let hello, let time): return self.hello(peer: peer, hello, at: time)
        case .heartbeat(let peer, let running, let time, let free): return heartbeat(peer: peer, running: running, at: time, freeSlots: free)
        case .goodbye(let peer, let reason, let time): return goodbye(peer: peer, reason: reason, at: time)
        case .shardResult(let peer, let job, let shard, let token, let frames, let time):
            return shardResult(peer: peer, job: job, shard: shard, token: token, frames: frames, at: time)
        case .resultOffer(let peer, let offer, let time): return resultOffer(peer: peer, offer, at: time)
        case .pullUnsent(let offer, let time): return pull(intake.settled(offer.work, now: time.instant), at: time)
        case .discardSent(let offer): return discardSent(offer)
        case .failure(let peer, let failure, let time): return self.failure(peer: peer, failure, at: time)
        case .peerUnreachable(let peer, let reason, let time): return workerLost(peer, reason: reason, at: time)
        case .revoked(let peer, let reason, let time): return revoke(peer: peer, reason: reason, at: time)
        case .tick(let time): return checkWorkers(at: time) + checkLeases(at: time) + checkStarvation() + checkEncoders() + checkVerifications(at: time)
        case .loopPaused(let gap, let time): return loopPaused(gap: gap, at: time)
        case .heartbeatDue:
            return [.heartbeat(peers: Array(workers.keys), names: workers.values.map(\.name))]
        case .dispatchDue(let time, let lanesBehind):
            return dispatchReruns(at: time, lanesBehind: lanesBehind) + dispatch(at: time, lanesBehind: lanesBehind)
        case .workerRegistered(let peer, let outcome): return workerRegistered(peer, outcome: outcome)
        case .workerStateRecorded(let name, let state, let outcome):
            return workerStateRecorded(name: name, state: state, outcome: outcome)
        case .leasesExtended(let worker, let outcome): return leasesExtended(worker: worker, outcome: outcome)
        case .shardsClaimed(let peer, let worker, let claims, let time, let chunkLimit):
            return shardsClaimed(peer: peer, worker: worker, claims: claims, at: time, chunkLimit: chunkLimit)
        case .released(let work, let token, let why, let outcome, let readBack):
            return released(work, token: token, why: why, outcome: outcome, readBack: readBack)
        case .requeued(let work, let token, let reason, let then, let outcome):
            return requeued(work, token: token, reason: reason, then: then, outcome: outcome)
        case .failedForGood(let work, let token, let reason, let then, let outcome):
            return failedForGood(work, token: token, reason: reason, then: then, outcome: outcome)
        case .readBack(let work, let row, let fallback): return readBack(work, row: row, fallback: fallback)
        case .blocklistRead(let job, let able, let outcome): return blocklistRead(job: job, able: able, outcome: outcome)
        case .jobFailureRecorded(let job, let outcome): return jobFailureRecorded(job, outcome: outcome)
        case .assignmentBuilt(let peer, let work, let token, let frames):
            return assignmentBuilt(peer: peer, work: work, token: token, frames: frames)
        case .shardRecorded(let peer, let worker, let job, let shard, let attempt, let outcome, let time):
            return shardRecorded(peer: peer, worker: worker, job: job, shard: shard, attempt: attempt, outcome: outcome, at: time)
        case .chunksClaimed(let peer, let worker, let claims, let time): return chunksClaimed(peer: peer, worker: worker, claims: claims, at: time)
        case .decodeResult(let peer, let result, let time): return decodeResult(peer: peer, result, at: time)
        case .segmentRecorded(let peer, let worker, let job, let chunk, let attempt, let outcome, let time):
            return segmentRecorded(peer: peer, worker: worker, job: job, chunk: chunk, attempt: attempt, outcome: outcome, at: time)
        case .quarantineLoaded(let names): return quarantineLoaded(names)
        case .quarantineLifted(let name):
            quarantined.remove(name)
            return []
        case .recovered(let stored): return recovered(stored)
        case .reconcileDue: return reconcileDue()
        case .databaseRead(let outcome): return databaseRead(outcome)
        case .markedReady(let job, let outcome, let cause): return markedReady(job: job, outcome: outcome, because: cause)
        case .clipBlended(let job, let outcome): return clipBlended(job, outcome: outcome) + resumeDeferredInvalidation(job)
        case .videoJoined(let job, let outcome): return videoJoined(job, outcome: outcome)
        case .encodingsClaimed(let peer, let worker, let claims, let time): return encodingsClaimed(peer: peer, worker: worker, claims: claims, at: time)
        case .promptResult(let peer, let job, let token, let frames, let time): return promptResult(peer: peer, job: job, token: token, frames: frames, at: time)
        case .promptRecorded(let peer, let worker, let job, let attempt, let outcome, let time):
            return promptRecorded(peer: peer, worker: worker, job: job, attempt: attempt, outcome: outcome, at: time)
        case .sourcesClaimed(let peer, let worker, let claims, let time): return sourcesClaimed(peer: peer, worker: worker, claims: claims, at: time)
        case .sourceResult(let peer, let job, let index, let token, let frames, let time):
            return sourceResult(peer: peer, job: job, encoding: index, token: token, frames: frames, at: time)
        case .sourceRecorded(let peer, let worker, let job, let index, let attempt, let outcome, let time):
            return sourceRecorded(peer: peer, worker: worker, job: job, encoding: index, attempt: attempt, outcome: outcome, at: time)
        case .rerunCompared(let worker, let job, let shard, let token, let vote, let time):
            return rerunCompared(worker: worker, job: job, shard: shard, token: token, vote: vote, at: time)
        case .verificationSettled(let job, let shard, let token, let adopt, let quarantine, let outcome):
            return verificationSettled(job: job, shard: shard, token: token, adopt: adopt, quarantine: quarantine, outcome: outcome)
        case .shardsInvalidated(let job, let reason, let outcome): return shardsInvalidated(job: job, reason: reason, outcome: outcome)
        case .decodeInvalidated(let job, let reason, let outcome): return decodeInvalidated(job: job, reason: reason, outcome: outcome)
        }
    }

    /// The peer's worker name, for logs.
    func name(of peer: PeerID) -> String? { workers[peer]?.name }

    /// A rejection of `peer`'s message.
    func reject(_ peer: PeerID, job: Int64? = nil, shard: ShardID? = nil, _ reason: String) -> CoordinatorAction {
        .reject(peer: peer, worker: workers[peer]?.name, job: job, shard: shard, reason: reason)
    }

    // MARK: Work items

    func machine(of work: WorkRef) -> ShardStateMachine? {
        switch work {
        case .shard(let job, let shard): return jobs[job]?.shards[shard]?.machine
        case .chunk(let job, let chunk):
            guard let decode = jobs[job]?.decode, decode.machines.indices.contains(chunk) else { return nil }
            return decode.machines[chunk]
        case .encoding(let job): return jobs[job]?.encoding?.machine
        case .source(let job, let index): return jobs[job]?.sources[index]?.machine
        }
    }

    func token(of work: WorkRef) -> Int? {
        switch work {
        case .shard(let job, let shard): return jobs[job]?.shards[shard]?.token
        case .chunk(let job, let chunk):
            guard let decode = jobs[job]?.decode, decode.tokens.indices.contains(chunk) else { return nil }
            return decode.tokens[chunk]
        case .encoding(let job): return jobs[job]?.encoding?.token
        case .source(let job, let index): return jobs[job]?.sources[index]?.token
        }
    }

    mutating func setMachine(_ machine: ShardStateMachine, of work: WorkRef) {
        switch work {
        case .shard(let job, let shard): jobs[job]?.shards[shard]?.machine = machine
        case .chunk(let job, let chunk): jobs[job]?.decode?.machines[chunk] = machine
        case .encoding(let job): jobs[job]?.encoding?.machine = machine
        case .source(let job, let index): jobs[job]?.sources[index]?.machine = machine
        }
    }

    /// The machine's count of tries for the lease `worker` holds on `work` at
    /// fencing token `token`; `nil` if that is not the current lease. (Results
    /// carry the token; the machine counts tries within the job's run.)
    func leaseTries(of work: WorkRef, worker: String, token: Int) -> Int? {
        guard self.token(of: work) == token, case .leased(let holder, let tries, _)? = machine(of: work)?.state, holder == worker else { return nil }
        return tries
    }

    /// Frees whatever slot `work` takes on the workers holding it.
    mutating func freeSlots(of work: WorkRef, heldBy name: String? = nil) {
        for peer in workers.keys where workers[peer]?.running[work] != nil && (name == nil || workers[peer]?.name == name) {
            workers[peer]?.running[work] = nil
        }
    }
}

extension WorkRef {
    /// The store's name for the item.
    var item: WorkItem {
        switch self {
        case .shard(_, let shard): return .shard(shard)
        case .chunk(_, let chunk): return .decodeChunk(chunk)
        case .encoding: return .promptEncoding
        case .source(_, let index): return .sourceEncoding(index)
        }
    }

    init(job: Int64, item: WorkItem) {
        switch item {
        case .shard(let shard): self = .shard(job: job, shard)
        case .decodeChunk(let chunk): self = .chunk(job: job, chunk)
        case .promptEncoding: self = .encoding(job: job)
        case .sourceEncoding(let index): self = .source(job: job, index)
        }
    }
}

extension ShardState {
    /// Who holds the lease, if leased.
    var holder: String? {
        if case .leased(let worker, _, _) = self { return worker }
        return nil
    }
}
