import Foundation
import ReelPlan
import ReelStore
import ReelWire

/// What happened, as the I/O layer tells the ``CoordinatorCore``: a worker's
/// message, the passing of time, or the outcome of an action the core asked for.
/// Time comes in with the event; the core reads no clock.
enum CoordinatorEvent: Sendable {
    // MARK: Workers' messages

    case hello(PeerID, Reel_V1_Hello, at: LoopTime)
    /// `freeSlots`: the slots the worker says are free (``ConnectedWorker/refusing``).
    case heartbeat(PeerID, running: [Reel_V1_WorkItem], at: LoopTime, freeSlots: Int? = nil)
    case goodbye(PeerID, reason: String, at: LoopTime)
    case shardResult(PeerID, job: Int64, shard: ShardID, token: Int, frames: [Data], at: LoopTime)
    /// A worker finished an item and holds its result.
    case resultOffer(PeerID, Reel_V1_ResultOffer, at: LoopTime)
    /// A pull could not be sent (the peer is gone).
    case pullUnsent(ResultIntake.Offer, at: LoopTime)
    /// A discard reached its worker.
    case discardSent(ResultIntake.Offer)
    case failure(PeerID, Reel_V1_ShardFailure, at: LoopTime)
    /// A message to `peer` could not be sent.
    case peerUnreachable(PeerID, reason: String, at: LoopTime)
    /// `peer`'s CURVE key left the allow-list (see `CoordinatorCore+Revocation.swift`).
    case revoked(PeerID, reason: String, at: LoopTime)

    // MARK: Time

    /// The loop's timers: silent workers, expired leases, starving jobs.
    case tick(at: LoopTime)
    /// The loop did not listen for `gap` (a stopped process, a starved CPU).
    case loopPaused(gap: Duration, at: LoopTime)
    /// Time to heartbeat the workers.
    case heartbeatDue
    /// Time to hand out work; `lanesBehind` when the lanes' backlog is full.
    case dispatchDue(at: LoopTime, lanesBehind: Bool)

    // MARK: Outcomes of the core's actions

    case workerRegistered(PeerID, outcome: StoreOutcome)
    case workerStateRecorded(name: String, state: WorkerStateName, outcome: StoreOutcome)
    case leasesExtended(worker: String, outcome: StoreOutcome)
    /// Shards the database leased to the worker (or why the claim failed);
    /// `chunkLimit`: decode chunks may fill what the claim left free.
    case shardsClaimed(peer: PeerID, worker: String, claims: Result<[Claim], StoreFailure>, at: LoopTime, chunkLimit: Int?)
    case released(WorkRef, token: Int, why: String, outcome: StoreOutcome, readBack: Bool)
    case requeued(WorkRef, token: Int, reason: String, then: ShardStateMachine, outcome: StoreOutcome)
    case failedForGood(WorkRef, token: Int, reason: String, then: ShardStateMachine, outcome: StoreOutcome)
    /// The row read again: `nil` when there is no such row.
    case readBack(WorkRef, row: Result<ItemSnapshot?, StoreFailure>, fallback: ShardStateMachine?)
    case blocklistRead(job: Int64, able: [String], outcome: Result<Set<String>, StoreFailure>)
    case jobFailureRecorded(Int64, outcome: StoreOutcome)
    case assignmentBuilt(peer: PeerID, work: WorkRef, token: Int, frames: Result<[Data], OffLoopFailure>)
    case shardRecorded(peer: PeerID, worker: String, job: Int64, shard: ShardID, attempt: Int, outcome: RecordOutcome, at: LoopTime)
    case chunksClaimed(peer: PeerID, worker: String, claims: Result<[ChunkClaim], StoreFailure>, at: LoopTime)
    case decodeResult(PeerID, Reel_V1_DecodeResult, at: LoopTime)
    case segmentRecorded(peer: PeerID, worker: String, job: Int64, chunk: Int, attempt: Int, outcome: RecordOutcome, at: LoopTime)
    /// The workers the database holds quarantined, read at start before the jobs.
    case quarantineLoaded(Set<String>)
    /// An operator lifts a worker's quarantine (`reel workers --release`).
    case quarantineLifted(String)
    /// The jobs the database holds active, read at start: each is resumed.
    case recovered([JobSnapshot])
    /// Time to compare memory with the database.
    case reconcileDue
    /// The active jobs read for the reconciler.
    case databaseRead(Result<[JobSnapshot], StoreFailure>)
    /// The database made these shards ready, for the cause the action gave.
    case markedReady(job: Int64, outcome: Result<[ShardID], StoreFailure>, because: ReadinessCause)
    case clipBlended(Int64, outcome: Result<BlendedClip, OffLoopFailure>)
    case videoJoined(Int64, outcome: Result<String, OffLoopFailure>)
    /// Prompt encodings the database leased to the worker (or why the claim failed).
    case encodingsClaimed(peer: PeerID, worker: String, claims: Result<[EncodingClaim], StoreFailure>, at: LoopTime)
    /// A worker's encoded prompt arrived (pulled); `frames` are checked on the `records` lane.
    case promptResult(PeerID, job: Int64, token: Int, frames: [Data], at: LoopTime)
    case promptRecorded(peer: PeerID, worker: String, job: Int64, attempt: Int, outcome: PromptRecordOutcome, at: LoopTime)
    /// Source encodings the database leased to the worker (or why the claim failed).
    case sourcesClaimed(peer: PeerID, worker: String, claims: Result<[SourceClaim], StoreFailure>, at: LoopTime)
    /// A worker's encoded source arrived (pulled); `frames` are checked on the `records` lane.
    case sourceResult(PeerID, job: Int64, encoding: Int, token: Int, frames: [Data], at: LoopTime)
    case sourceRecorded(peer: PeerID, worker: String, job: Int64, encoding: Int, attempt: Int, outcome: RecordOutcome, at: LoopTime)
    /// A re-run's result was compared with the check's stored results: the vote it casts.
    case rerunCompared(worker: String, job: Int64, shard: ShardID, token: Int, vote: RerunVote, at: LoopTime)
    /// The database answered a ballot's outcome (``CoordinatorAction/settleVerification(job:shard:token:adopt:quarantine:reason:)``):
    /// `true` when recorded, `false` when the shard had moved on.
    case verificationSettled(job: Int64, shard: ShardID, token: Int, adopt: String?, quarantine: [String], outcome: Result<Bool, StoreFailure>)
    /// The database answered an invalidation (``CoordinatorAction/invalidateShards(job:shards:candidates:reason:)``).
    case shardsInvalidated(job: Int64, reason: String, outcome: Result<[InvalidatedShard], StoreFailure>)
    /// The database answered the abandonment of a decode (``CoordinatorAction/invalidateDecode(job:shards:candidates:reason:)``):
    /// `nil` when the job was no longer decoding.
    case decodeInvalidated(job: Int64, reason: String, outcome: Result<InvalidatedDecode?, StoreFailure>)
}

/// What comparing a re-run made of it.
enum RerunVote: Sendable, Equatable {
    /// It agrees with the stored result `sha` (equal digests, or within the
    /// tolerance with this largest difference).
    case agrees(sha: String, maxdiff: Float)
    /// It agrees with none; stored under `sha` (so it may win the tie-break).
    case differs(sha: String, maxdiff: Float)
    /// The result is malformed or non-finite, or could not be compared: `why`.
    case invalid(String)
}

/// A decode chunk the database leased: the chunk and its fencing token.
struct ChunkClaim: Sendable, Equatable {
    var job: Int64
    var chunk: Int
    var attempt: Int
}

/// A lease the database granted: the item and its fencing token.
struct Claim: Sendable, Equatable {
    var job: Int64
    var shard: ShardID
    var attempt: Int
}

/// A statement that failed, as text (the core only logs it).
struct StoreFailure: Error, Sendable, Equatable, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
