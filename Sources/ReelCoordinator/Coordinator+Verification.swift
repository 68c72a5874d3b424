import Foundation
import ReelHash
import ReelPlan
import ReelStore
import ReelWire

/// Verified results: the lane work ``CoordinatorCore`` orders (comparing a
/// re-run, recording a ballot); the decisions are in `CoordinatorCore+Verification.swift`.
extension Coordinator {
    /// Compares a re-run's result with the check's stored results on the
    /// `records` lane: equal SHA-256, else every value within
    /// ``ResultComparison/crossKernelTolerance``. A result that agrees with none
    /// is stored, so a tie-break can adopt it.
    func compareRerun(_ order: RerunOrder) {
        let limits = WireLimits(maxMessageBytes: config.maxMessageBytes)
        let blobs = blobs
        records.submit {
            let vote: RerunVote
            do {
                let message = try WireCodec.decode(order.frames, limits: limits)
                guard case .shardResult(let result)? = message.envelope.body, let tensor = message.tensor(for: result.latents) else {
                    return .rerunCompared(worker: order.worker, job: order.job, shard: order.shard, token: order.token, vote: .invalid("no latents"))
                }
                if tensor.shape != order.expectedShape || !tensor.isFinite {
                    vote = .invalid("latents of shape \(tensor.shape) (expected \(order.expectedShape)), finite: \(tensor.isFinite)")
                } else {
                    let sha = SHA256.hex(Array(result.latents.sha256))
                    if order.stored.contains(sha) {
                        vote = .agrees(sha: sha, maxdiff: 0)
                    } else {
                        let values = tensor.values
                        var nearest: Float = .infinity
                        var agreed: String?
                        for stored in order.stored {
                            let (agree, maxdiff) = ResultComparison.compare(values, try blobs.getFloats(stored))
                            nearest = min(nearest, maxdiff)
                            if agree {
                                agreed = stored
                                break
                            }
                        }
                        if let agreed {
                            vote = .agrees(sha: agreed, maxdiff: nearest)
                        } else {
                            let frame = Int(result.latents.frameIndex)
                            var failure: (any Error)?
                            order.frames[frame].withUnsafeBytes { raw in
                                do { try blobs.put(raw, sha256: sha) } catch { failure = error }
                            }
                            if let failure { throw failure }
                            vote = .differs(sha: sha, maxdiff: nearest)
                        }
                    }
                }
            } catch {
                vote = .invalid("cannot compare: \(error)")
            }
            return .rerunCompared(worker: order.worker, job: order.job, shard: order.shard, token: order.token, vote: vote)
        }
    }

    /// Records a ballot's outcome on the `records` lane, in one transaction.
    func settleVerification(job: Int64, shard: ShardID, token: Int, adopt: String?, quarantine: [String], reason: String) {
        let store = recordStore, at = clock.now
        records.submit {
            let outcome = Result { () throws(StoreError) -> Bool in
                try store.value.settleVerification(
                    job: job, shard: shard, attempt: token, adopt: adopt, quarantine: quarantine, reason: reason, at: at)
            }.mapError { StoreFailure("\($0)") }
            return .verificationSettled(job: job, shard: shard, token: token, adopt: adopt, quarantine: quarantine, outcome: outcome)
        }
    }
}

extension Coordinator {
    /// Deletes a closed check's row, on the loop's connection like the
    /// readiness statement that follows it (one short statement), so the row is
    /// gone before any dependent is ready. A failure is logged: the row only
    /// makes a restarted coordinator check the shard once more.
    func forgetCheck(job: Int64, shard: ShardID) {
        do throws(StoreError) { try store.closeCheck(job: job, shard: shard) } catch {
            logger.warning("cannot delete a closed check", metadata: ["job": "\(job)", "shard": "\(shard)", "error": "\(error)"])
        }
    }

    /// Records a confirmation on the loop's connection, like ``forgetCheck(job:shard:)``:
    /// one short statement. Lost, it costs only a redo of a correct result should
    /// its worker lose a later ballot after a restart.
    func confirmResult(job: Int64, shard: ShardID, token: Int) {
        do throws(StoreError) { try store.confirmShard(job: job, shard: shard, attempt: token) } catch {
            logger.warning("cannot record a confirmed result", metadata: ["job": "\(job)", "shard": "\(shard)", "error": "\(error)"])
        }
    }

    /// Records an invalidation on the `records` lane (after every result queued
    /// before it, so memory sees results and the reset in commit order).
    func invalidateShards(job: Int64, shards: [ShardID], candidates: [(shard: ShardID, inputs: [ShardID])], reason: String) {
        let store = recordStore
        records.submit {
            let outcome = Result { () throws(StoreError) -> [InvalidatedShard] in
                try store.value.invalidateShards(job: job, shards: shards, candidates: candidates, reason: reason)
            }.mapError { StoreFailure("\($0)") }
            return .shardsInvalidated(job: job, reason: reason, outcome: outcome)
        }
    }

    /// Records the abandonment of a decode on the `records` lane, like ``invalidateShards(job:shards:candidates:reason:)``.
    func invalidateDecode(job: Int64, shards: [ShardID], candidates: [(shard: ShardID, inputs: [ShardID])], reason: String) {
        let store = recordStore
        records.submit {
            let outcome = Result { () throws(StoreError) -> InvalidatedDecode? in
                try store.value.invalidateDecodingJob(job: job, shards: shards, candidates: candidates, reason: reason)
            }.mapError { StoreFailure("\($0)") }
            return .decodeInvalidated(job: job, reason: reason, outcome: outcome)
        }
    }
}
