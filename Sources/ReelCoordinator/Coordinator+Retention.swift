import Foundation
import ReelPlan
import ReelStore

/// Blobs have a life: a block's outputs go once every shard that reads them is
/// done, the last block's once the clip is blended, the segments once the video is
/// stored. A finished job keeps its prompt embeddings, finished latents and video
/// for as long as the operator's policy says (`--keep-results-days`, for good by
/// default). So a running job's disk use is about two blocks of outputs, not
/// every block, and a farm's disk use is bounded by its retention.
extension Coordinator {
    /// Deletes, off the loop, the blobs of the given rows of job `id` that no
    /// other row still names.
    func collect(job id: Int64, shards: [(ShardID, String)] = [], chunks: [(Int, String)] = []) {
        guard config.collectBlobs, !shards.isEmpty || !chunks.isEmpty else { return }
        let store = recordStore, blobs = blobs, logger = logger
        let shardIDs = shards.map(\.0), chunkIDs = chunks.map(\.0)
        let shas = Set(shards.map(\.1) + chunks.map(\.1))
        records.submit {
            for sha in shas {
                do {
                    guard try !store.value.blobIsReferenced(sha, besides: id, shards: shardIDs, chunks: chunkIDs) else { continue }
                    try blobs.remove(sha)
                } catch {
                    // Left on disk: wasted space, never a lost result.
                    logger.warning("cannot delete a blob", metadata: ["job": "\(id)", "sha256": "\(sha)", "error": "\(error)"])
                }
            }
            return .none
        }
    }

    /// Events older than the retention go, once an hour, off the loop.
    func pruneEvents() {
        let store = recordStore, days = config.eventRetentionDays, logger = logger
        records.submit {
            do {
                let pruned = try store.value.pruneEvents(olderThanDays: days)
                if pruned > 0 { logger.info("pruned old events", metadata: ["count": "\(pruned)", "days": "\(days)"]) }
            } catch {
                logger.warning("cannot prune events", metadata: ["error": "\(error)"])
            }
            return .none
        }
    }

    /// Finished jobs past the result retention lose their blobs, once an hour, off
    /// the loop: on the `records` lane, the same serial lane that stores a new
    /// job's embeddings, so a blob a new submission shares cannot be deleted
    /// between the check that nothing needs it and the unlink.
    func expireResults() {
        guard let days = config.resultRetentionDays else { return }
        let store = recordStore, blobs = blobs, logger = logger
        records.submit {
            do {
                // In batches, so one pass never holds the lane for long.
                for _ in 0 ..< 100 {
                    let expired = try store.value.expireFinishedJobs(olderThanDays: days, limit: 50)
                    if expired.isEmpty { break }
                    for (job, shas) in expired {
                        var deleted = 0
                        for sha in shas where try !store.value.blobIsKept(sha) {
                            if try blobs.remove(sha) { deleted += 1 }
                        }
                        logger.info("job expired under the result retention", metadata: ["job": "\(job)", "blobs_deleted": "\(deleted)", "days": "\(days)"])
                    }
                }
            } catch {
                // Jobs are marked before their blobs go, so a failure here leaves
                // blobs on disk (wasted space), never a job pointing at a lost one.
                logger.warning("cannot expire finished jobs", metadata: ["error": "\(error)"])
            }
            return .none
        }
    }
}
