import ReelStore
import ReelWire

@testable import ReelCoordinator

extension CoordinatorCore {
    /// A dispatch turn whose claims the database grants nothing (every ready shard
    /// taken elsewhere), answered at once as the statements lane would on a later
    /// turn: for tests about what else dispatch does (re-runs), so that no claim
    /// is left in flight holding its worker's slots.
    mutating func dispatchGrantingNothing(at time: LoopTime) -> [CoordinatorAction] {
        let actions = handle(.dispatchDue(at: time, lanesBehind: false))
        for action in actions {
            switch action {
            case .claimShards(let peer, let worker, _, _, let at, _):
                _ = handle(.shardsClaimed(peer: peer, worker: worker, claims: .success([]), at: at, chunkLimit: nil))
            case .claimChunks(let peer, let worker, _, _, let at):
                _ = handle(.chunksClaimed(peer: peer, worker: worker, claims: .success([]), at: at))
            case .claimEncodings(let peer, let worker, _, _, let at):
                _ = handle(.encodingsClaimed(peer: peer, worker: worker, claims: .success([]), at: at))
            default:
                continue
            }
        }
        return actions
    }
}
