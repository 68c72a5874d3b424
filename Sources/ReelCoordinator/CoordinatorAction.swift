import Foundation
import Logging
import ReelPlan
import ReelStore
import ReelWire

/// What the ``CoordinatorCore`` asks the I/O layer to do. Every action that runs
/// a statement is answered by a ``CoordinatorEvent`` carrying its
/// ``StoreOutcome``; the I/O layer carries out every action it is given, in order.
enum CoordinatorAction: Sendable {
    // MARK: Messages to workers

    /// Welcome a registered worker.
    case welcome(PeerID, name: String)
    /// Refuse a message or a hello, saying why.
    case refuse(PeerID, Reel_V1_RefusalReason, String)
    /// Send built frames; a peer that cannot be reached is reported back
    /// (``CoordinatorEvent/peerUnreachable(_:reason:at:)``).
    case send(frames: [Data], to: PeerID)
    /// Tell `peer` to stop working on `work` (attempt `token`).
    case cancel(PeerID, work: WorkRef, token: Int, reason: String)
    /// Ask a worker for a result it offered (unsent: ``CoordinatorEvent/pullUnsent(_:at:)``).
    case pullResult(ResultIntake.Offer)
    /// Tell a worker to drop a result nobody wants (sent: ``CoordinatorEvent/discardSent(_:)``).
    case discardResult(ResultIntake.Offer, reason: String)
    /// Heartbeat every connected worker, and stamp their rows (off the loop).
    case heartbeat(peers: [PeerID], names: [String])

    // MARK: Logs and the events table

    case log(Logger.Level, String, Logger.Metadata)
    /// A rejected message: counted, logged rate-limited and appended to the events.
    case reject(peer: PeerID, worker: String?, job: Int64?, shard: ShardID?, reason: String)
    /// Append to the events table, off the loop.
    case appendEvent(job: Int64?, shard: ShardID?, worker: String?, kind: EventKind, detail: String)
    case tally(LoopTally)

    // MARK: Statements, each answered by an event

    /// Register a worker (answered by ``CoordinatorEvent/workerRegistered(_:outcome:)``).
    case registerWorker(PeerID, ConnectedWorker, at: Timestamp)
    /// Record a worker's state (answered by ``CoordinatorEvent/workerStateRecorded(name:state:outcome:)``).
    case setWorkerState(name: String, WorkerStateName)
    /// Extend a live worker's leases in the database (answered by ``CoordinatorEvent/leasesExtended(worker:outcome:)``).
    case extendLeases(worker: String, now: Timestamp, until: Timestamp)
    /// Claim up to `limit` shards for a worker (answered by ``CoordinatorEvent/shardsClaimed(peer:worker:claims:at:chunkLimit:)``).
    case claimShards(peer: PeerID, worker: String, models: [String], limit: Int, at: LoopTime, chunkLimit: Int?)
    /// Claim up to `limit` decode chunks for a worker (answered by ``CoordinatorEvent/chunksClaimed(peer:worker:claims:at:)``).
    case claimChunks(peer: PeerID, worker: String, models: [String], limit: Int, at: LoopTime)
    /// Give a claim back without charging a try (answered by ``CoordinatorEvent/released(_:token:why:outcome:readBack:)``).
    case release(WorkRef, token: Int, worker: String, why: String, readBack: Bool)
    /// Back to the queue after a backoff (answered by ``CoordinatorEvent/requeued(_:token:reason:then:outcome:)``).
    case requeue(WorkRef, token: Int, worker: String, reason: String, notBefore: Timestamp, then: ShardStateMachine)
    /// The item and its job fail for good (answered by ``CoordinatorEvent/failedForGood(_:token:reason:then:outcome:)``).
    case failForGood(WorkRef, token: Int, worker: String, reason: String, then: ShardStateMachine)
    /// Read the item's row again (answered by ``CoordinatorEvent/readBack(_:row:fallback:)``): how a stale
    /// or unknown answer is settled. `fallback` is what memory takes if the row cannot be read.
    case readBack(WorkRef, fallback: ShardStateMachine?)
    /// Which workers are blocklisted for a job (answered by ``CoordinatorEvent/blocklistRead(job:able:outcome:)``).
    case readBlocklist(job: Int64, able: [String])
    /// Count a failure of `worker` on `job` towards its blocklist, off the loop.
    case recordWorkerFailure(job: Int64, worker: String)
    /// Read every active job with its shards and chunks (answered by ``CoordinatorEvent/databaseRead(_:)``).
    case readActiveJobs
    /// Make ready the shards whose inputs are all done, in the database (answered
    /// by ``CoordinatorEvent/markedReady(job:outcome:because:)``).
    case markReady(job: Int64, candidates: [(shard: ShardID, inputs: [ShardID])], because: ReadinessCause)
    /// Record a job as failed (answered by ``CoordinatorEvent/jobFailureRecorded(_:outcome:)``).
    case setJobFailed(Int64, reason: String)

    // MARK: Lanes

    /// Build a shard's assignment on the `inputs` lane (answered by ``CoordinatorEvent/assignmentBuilt(peer:work:token:frames:)``).
    case buildShardAssignment(ShardAssignmentOrder)
    /// Check, store and commit a shard result on the `records` lane (answered by
    /// ``CoordinatorEvent/shardRecorded(peer:worker:job:shard:attempt:outcome:at:)``).
    case recordShardResult(ShardResultOrder)
    /// Build a decode chunk's assignment on the `inputs` lane (answered by ``CoordinatorEvent/assignmentBuilt(peer:work:token:frames:)``).
    case buildChunkAssignment(ChunkAssignmentOrder)
    /// Check, store and commit a segment on the `records` lane (answered by
    /// ``CoordinatorEvent/segmentRecorded(peer:worker:job:chunk:attempt:outcome:at:)``).
    case recordSegment(SegmentResultOrder)
    /// Blend the last block's outputs into the clip and move the job to decoding
    /// with these chunks (answered by ``CoordinatorEvent/clipBlended(_:outcome:)``).
    case blendClip(job: Int64, plan: Plan, outputs: [Int: String], chunks: [DecodeChunk])
    /// Join the segments into the video and record the job as succeeded
    /// (answered by ``CoordinatorEvent/videoJoined(_:outcome:)``).
    case joinVideo(job: Int64, description: VideoDescription, segments: [String], latentsSHA: String)
    /// Delete, off the loop, the blobs of these rows that no other row names.
    case collectBlobs(job: Int64, shards: [(ShardID, String)], chunks: [(Int, String)])

    // MARK: Prompt encodings

    /// Claim up to `limit` prompt encodings of `models` for a worker (answered by
    /// ``CoordinatorEvent/encodingsClaimed(peer:worker:claims:at:)``).
    case claimEncodings(peer: PeerID, worker: String, models: [String], limit: Int, at: LoopTime)
    /// Send a prompt encoding's assignment (texts only, so built on the loop).
    case sendPromptAssignment(PeerID, Reel_V1_PromptAssignment)
    /// Check, store and commit encoded prompts on the `records` lane (answered by
    /// ``CoordinatorEvent/promptRecorded(peer:worker:job:attempt:outcome:at:)``).
    case recordPromptResult(PromptResultOrder)

    // MARK: Source encodings

    /// Claim up to `limit` source encodings of `models` for a worker (answered by
    /// ``CoordinatorEvent/sourcesClaimed(peer:worker:claims:at:)``).
    case claimSources(peer: PeerID, worker: String, models: [String], limit: Int, at: LoopTime)
    /// Build a source encoding's assignment on the `inputs` lane (it reads the
    /// source's blob; answered by ``CoordinatorEvent/assignmentBuilt(peer:work:token:frames:)``).
    case buildSourceAssignment(SourceAssignmentOrder)
    /// Check, store and commit encoded source latents on the `records` lane
    /// (answered by ``CoordinatorEvent/sourceRecorded(peer:worker:job:encoding:attempt:outcome:at:)``).
    case recordSourceResult(SourceResultOrder)

    // MARK: Verification

    /// Compare a re-run's result with the check's stored results on the `records`
    /// lane (answered by ``CoordinatorEvent/rerunCompared(worker:job:shard:token:vote:at:)``).
    case compareRerun(RerunOrder)
    /// Record a ballot's outcome in one transaction: quarantine the losers and,
    /// when the original result lost, adopt the winner's output (answered by
    /// ``CoordinatorEvent/verificationSettled(job:shard:token:adopt:quarantine:outcome:)``).
    case settleVerification(job: Int64, shard: ShardID, token: Int, adopt: String?, quarantine: [String], reason: String)
    /// Send `shards` back to pending and ready those of `candidates` whose inputs
    /// are done, in one transaction on the `records` lane (answered by
    /// ``CoordinatorEvent/shardsInvalidated(job:reason:outcome:)``).
    case invalidateShards(job: Int64, shards: [ShardID], candidates: [(shard: ShardID, inputs: [ShardID])], reason: String)
    /// Abandon a decoding job's decode (job back to running, chunks back to ready)
    /// and reset `shards` as ``invalidateShards(job:shards:candidates:reason:)`` does, in one
    /// transaction on the `records` lane (answered by ``CoordinatorEvent/decodeInvalidated(job:reason:outcome:)``).
    case invalidateDecode(job: Int64, shards: [ShardID], candidates: [(shard: ShardID, inputs: [ShardID])], reason: String)
    /// Record that a check confirmed `shard`'s result at fencing token `token` (`shards.confirmed`).
    case confirmResult(job: Int64, shard: ShardID, token: Int)
    /// Delete the stored check of `shard` (it agreed or was given up), before its dependents are made ready.
    case forgetCheck(job: Int64, shard: ShardID)
}

/// Everything the `records` lane needs to compare a re-run's result.
struct RerunOrder: Sendable {
    var worker: String
    var job: Int64
    var shard: ShardID
    var token: Int
    var expectedShape: [Int]
    /// The stored results' digests to compare with, first vote first.
    var stored: [String]
    var frames: [Data]
}

/// Counts the loop keeps for `reel bench farm`, `/v1/health` and `/metrics`.
enum LoopTally: Sendable, Equatable {
    case reregistration
    case shardCompleted
    /// A re-run handed out to check a done shard.
    case rerun
    /// Shards sent back to be computed again after a lost ballot.
    case invalidated(Int)
    /// Results offered and waiting to be pulled, now.
    case resultsWaiting(Int)
    /// An item went back to the queue for another attempt (`reel_retries_total`).
    case retry
    /// An attempt failed (`reel_failures_total`).
    case failure(FailureReason)
}

/// Everything the `inputs` lane needs to build one shard's assignment; none of it a tensor.
struct ShardAssignmentOrder: Sendable {
    var peer: PeerID
    var job: Int64
    var shard: ShardID
    var token: Int
    var recipe: ShardInputRecipe
    /// Whether the worker lacks the prompt embeddings, so the assignment carries them.
    var withEmbeds: Bool
    var plan: Plan
    var request: JobRequest
    var embedsID: String
    var promptSHA: String
    var negativeSHA: String?
    var textDim: Int
    /// A timeline job's prompts for this window (``TimelineEntry``); empty otherwise.
    var timeline: [TimelineEntry] = []
    /// The conditioning items this shard applies, with their latents' blobs (CoordinatorCore+SourceShards.swift).
    var conditioning: ShardConditioning = ShardConditioning()
}

/// Everything the `records` lane needs to check, store and commit one shard result.
struct ShardResultOrder: Sendable {
    var peer: PeerID
    var worker: String
    var job: Int64
    var shard: ShardID
    var token: Int
    /// The latents' shape the plan expects, `[C, F, H, W]`.
    var expectedShape: [Int]
    /// The shards that read this one, each with its inputs: the commit decides which become ready.
    var dependents: [(shard: ShardID, inputs: [ShardID])]
    var frames: [Data]
    /// Whether the result will be checked: its check is stored in the commit.
    var openCheck = false
}

/// Everything the `inputs` lane needs to build one decode chunk's assignment.
struct ChunkAssignmentOrder: Sendable {
    var peer: PeerID
    var job: Int64
    var chunk: DecodeChunk
    var token: Int
    var model: String
    var latent: LatentShape
    var fps: Int
    /// The blob of the finished latents the chunk is cut from.
    var latentsSHA: String
    /// The job is a still: the worker writes its one frame as PNG.
    var still = false
    /// The chunk's run reads the clip's latent frame 0 in later form (``Plan/readsLaterStart(_:)``).
    var laterStart = false
}

/// Everything the `records` lane needs to check, store and commit one segment.
struct SegmentResultOrder: Sendable {
    var peer: PeerID
    var worker: String
    var job: Int64
    var chunk: Int
    var token: Int
    /// The video frames the chunk decodes to.
    var expectedFrames: Int
    var result: Reel_V1_DecodeResult
    /// The job's frame size, which the segment must have.
    var width = 0
    var height = 0
    /// The job is a still: the segment is a PNG image.
    var still = false
}
