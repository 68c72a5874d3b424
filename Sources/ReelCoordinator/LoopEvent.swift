import Foundation
import ReelPlan
import ReelStore
import ReelWire

/// What off-loop work reports back to the event loop: the outcome of an action
/// the loop asked for. The loop applies each to its state machines on its own
/// thread; no outcome is discarded.
enum LoopEvent: Sendable {
    /// An assignment's frames are built (or could not be): sent if the lease is
    /// still current when the loop sees this.
    case assignmentBuilt(peer: PeerID, work: WorkRef, token: Int, frames: Result<[Data], OffLoopFailure>)
    /// A shard result was checked, stored and recorded, or not.
    case shardRecorded(peer: PeerID, worker: String, job: Int64, shard: ShardID, attempt: Int, outcome: RecordOutcome)
    /// A decode chunk's segment was checked, stored and recorded, or not.
    case segmentRecorded(peer: PeerID, worker: String, job: Int64, chunk: Int, attempt: Int, outcome: RecordOutcome)
    /// The last block was blended over the clip and the job moved to decoding in
    /// the database (or the blend or the move failed).
    case clipBlended(job: Int64, outcome: Result<BlendedClip, OffLoopFailure>)
    /// The segments were joined into the video and the job recorded as succeeded.
    case videoJoined(job: Int64, outcome: Result<String, OffLoopFailure>)
    /// A submitted job's embeddings and rows are stored (or could not be); the
    /// client's request is answered now.
    case jobStored(Result<JobRuntime, OffLoopFailure>, reply: @Sendable (Result<CoordinatorMailbox.Reply, APIError>) -> Void)
    /// A large message's envelope, parsed off the loop (or why it is malformed).
    case envelopeParsed(peer: PeerID, frames: [Data], envelope: Result<Reel_V1_Envelope, WireError>)
    /// An encoded prompt was checked, stored and recorded, or not.
    case promptRecorded(peer: PeerID, worker: String, job: Int64, attempt: Int, outcome: PromptRecordOutcome)
    /// An encoded source was checked, stored and recorded, or not.
    case sourceRecorded(peer: PeerID, worker: String, job: Int64, encoding: Int, attempt: Int, outcome: RecordOutcome)
    /// A re-run was compared with the check's stored results.
    case rerunCompared(worker: String, job: Int64, shard: ShardID, token: Int, vote: RerunVote)
    /// A ballot's outcome was recorded (`true`), or its shard had moved on (`false`).
    case verificationSettled(job: Int64, shard: ShardID, token: Int, adopt: String?, quarantine: [String], outcome: Result<Bool, StoreFailure>)
    /// An invalidation was recorded (the shards it moved), or not.
    case shardsInvalidated(job: Int64, reason: String, outcome: Result<[InvalidatedShard], StoreFailure>)
    case decodeInvalidated(job: Int64, reason: String, outcome: Result<InvalidatedDecode?, StoreFailure>)
    /// A statement's answer, for the core as it is (the `statements` lane).
    case core(CoordinatorEvent)
    /// Nothing for the loop to do (an event log write, say).
    case none
}

/// How recording a worker's result ended.
enum RecordOutcome: Sendable {
    /// Stored and committed; `ready` are the shards the commit made ready.
    case committed(sha: String, ready: [ShardID])
    /// The database holds another lease: nothing changed. `status` is the row now.
    case stale(String)
    /// The worker's output is unusable (shape, NaN, checksum): a failed attempt of that worker.
    case invalid(String)
    /// The coordinator could not store or record it (disk, database down past the
    /// retry window): not the worker's fault, so no try is charged.
    case unrecorded(String)
}

/// The finished latents of a job, stored as one blob.
struct BlendedClip: Sendable {
    var latentsSHA: String
    var chunks: [DecodeChunk]
}

/// Why off-loop work failed, said so a user can act on it.
struct OffLoopFailure: Error, Sendable, CustomStringConvertible {
    var description: String
    /// Whether trying again later can help (the database was unreachable), as
    /// opposed to a fault in the job's stored data.
    var transient: Bool

    init(_ description: String, transient: Bool = false) {
        self.description = description
        self.transient = transient
    }
}
