import Foundation
import ReelStore

/// The loop's frequent statements, run on the `statements` lane.
///
/// Each PostgreSQL round trip costs the loop one wake-up of the server's backend
/// and one of its own. On a machine whose cores are all busy that is 5–10 ms a
/// statement, and a turn that claims for eight workers waited 100–250 ms
/// (`reel bench farm`, slow turns spent in `dispatch` with no CPU). Claims, lease
/// extensions, worker states and the reconciler's read are the statements the
/// loop makes on every few turns; here they run in order on a lane with its own
/// connection, and their answers come back as the core's events on a later turn.
/// The core keeps a worker with a claim in flight out of dispatch, and compares
/// the reconciler's older snapshot only with what memory has not changed since
/// (`CoordinatorCore+Statements.swift`).
///
/// Registrations go there too, so that a worker lost and back again is written
/// in that order; until its registration is answered, a worker's heartbeats are
/// ignored rather than refused. Rarer statements whose answers the core's next
/// step depends on (releasing and requeueing, reading a row back) stay on the loop.
extension Coordinator {
    /// Runs `statement` on the `statements` lane; its event reaches the core on a later turn.
    func onStatementsLane(_ statement: @escaping @Sendable (FarmStore) -> CoordinatorEvent) {
        let store = statementStore
        statements.submit { .core(statement(store.value)) }
    }

    /// Carries out one of the statements that run on the lane.
    func runOnStatementsLane(_ action: CoordinatorAction) {
        let config = config, policy = config.policy, blocklist = config.blocklistThreshold
        switch action {
        case .registerWorker(let peer, let worker, let stamp):
            // On the lane with the worker-state writes, so a worker lost and back
            // again is recorded in that order.
            let (name, host, cores, threads, slots) = (worker.name, worker.host, worker.cores, worker.threads, worker.slots)
            let (models, pools) = (worker.models.keys.sorted(), worker.pools)
            onStatementsLane { store in
                let outcome: StoreOutcome
                do {
                    try store.registerWorker(name: name, host: host, cores: cores, threads: threads, slots: slots, models: models, pools: pools, at: stamp)
                    outcome = .committed
                } catch {
                    outcome = .unknown("\(error)")
                }
                return .workerRegistered(peer, outcome: outcome)
            }
        case .setWorkerState(let name, let state):
            onStatementsLane { store in
                .workerStateRecorded(name: name, state: state, outcome: StoreOutcome.of { try store.setWorkerState(name: name, to: state) })
            }
        case .extendLeases(let worker, let now, let until):
            onStatementsLane { store in
                .leasesExtended(worker: worker, outcome: StoreOutcome.of { try store.extendLeases(worker: worker, now: now, until: until) > 0 })
            }
        case .claimShards(let peer, let worker, let models, let limit, let time, let chunkLimit):
            onStatementsLane { store in
                let claims = Result { () throws(StoreError) in
                    try store.claimShards(
                        worker: worker, models: models, limit: limit, now: time.stamp, leaseDuration: policy.leaseDuration,
                        maxTries: policy.maxAttempts, blocklistThreshold: blocklist)
                }
                .map { $0.map { Claim(job: $0.job, shard: $0.shard, attempt: $0.attempt) } }
                .mapError { StoreFailure("\($0)") }
                return .shardsClaimed(peer: peer, worker: worker, claims: claims, at: time, chunkLimit: chunkLimit)
            }
        case .claimChunks(let peer, let worker, let models, let limit, let time):
            onStatementsLane { store in
                let claims = Result { () throws(StoreError) in
                    try store.claimDecodeChunks(
                        worker: worker, models: models, limit: limit, now: time.stamp, leaseDuration: policy.leaseDuration,
                        maxTries: policy.maxAttempts, blocklistThreshold: blocklist)
                }
                .map { $0.map { ChunkClaim(job: $0.job, chunk: $0.chunk, attempt: $0.attempt) } }
                .mapError { StoreFailure("\($0)") }
                return .chunksClaimed(peer: peer, worker: worker, claims: claims, at: time)
            }
        case .claimEncodings(let peer, let worker, let models, let limit, let time):
            onStatementsLane { store in
                let claims = Result { () throws(StoreError) in
                    try store.claimPromptEncodings(
                        worker: worker, models: models, limit: limit, now: time.stamp, leaseDuration: policy.leaseDuration,
                        maxTries: policy.maxAttempts, blocklistThreshold: blocklist)
                }
                .map { $0.map { EncodingClaim(job: $0.job, attempt: $0.status.attempt) } }
                .mapError { StoreFailure("\($0)") }
                return .encodingsClaimed(peer: peer, worker: worker, claims: claims, at: time)
            }
        case .claimSources(let peer, let worker, let models, let limit, let time):
            onStatementsLane { store in
                let claims = Result { () throws(StoreError) in
                    try store.claimSourceEncodings(
                        worker: worker, models: models, limit: limit, now: time.stamp, leaseDuration: policy.leaseDuration,
                        maxTries: policy.maxAttempts, blocklistThreshold: blocklist)
                }
                .map {
                    $0.map { SourceClaim(job: $0.job, encoding: $0.encoding, attempt: $0.status.attempt, sourceSHA: $0.sourceSHA, cacheKey: $0.cacheKey) }
                }
                .mapError { StoreFailure("\($0)") }
                return .sourcesClaimed(peer: peer, worker: worker, claims: claims, at: time)
            }
        case .readActiveJobs:
            onStatementsLane { store in
                .databaseRead(Result { () throws(StoreError) in try Self.activeJobs(in: store) }.mapError { StoreFailure("\($0)") })
            }
        default:
            // Not a lane statement: carried out on the loop as every other action.
            perform([action])
        }
    }
}
