import ReelPlan
import ReelWire

/// A done shard being verified: its ballot, the stored digests a re-run is
/// compared with, and the re-run leased now, if any.
///
/// A re-run is a lease in memory only (the shard stays done in the database):
/// it goes to a connected worker that has not voted, carries the shard's fencing
/// token, and its result is compared on the `records` lane, not committed. The
/// shard's dependents are made ready only once the check settles, so nothing
/// downstream ever reads an output that a ballot could still disprove.
struct ShardCheck: Sendable {
    var ballot: VerificationBallot
    /// The fencing token of the result under check (the re-run carries it).
    let token: Int
    /// Digests of the votes whose blobs are stored, first vote first: a re-run is
    /// compared with each (SHA-256, else within the cross-kernel tolerance).
    var stored: [String]
    /// The worker re-running the shard now, and since when.
    var rerun: (worker: String, peer: PeerID, since: ContinuousClock.Instant)?
    /// A re-run's result is being compared on the `records` lane.
    var comparing = false
    /// The ballot's outcome is being recorded.
    var settling = false
    /// When the check opened or last had a re-run end: a check no eligible
    /// worker takes within ``CoordinatorConfig/verificationWait`` is given up.
    var waitingSince: ContinuousClock.Instant

    init(shard: ShardID, worker: String, sha: String, token: Int, at time: ContinuousClock.Instant) {
        ballot = VerificationBallot(shard: shard)
        _ = ballot.cast(.init(worker: worker, sha: sha))
        self.token = token
        stored = [sha]
        waitingSince = time
    }
}
