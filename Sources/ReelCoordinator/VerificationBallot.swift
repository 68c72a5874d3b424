import ReelPlan

/// The results several workers returned for one shard, and what they decide.
///
/// The engine is deterministic (see the README's "Verified results": bit-identical
/// across thread counts and OpenBLAS kernels on one machine), so results are
/// compared by their SHA-256: two equal digests agree, anything else disagrees.
/// The first result and a second worker's re-run agreeing settles the shard; a
/// disagreement asks a third worker, and the digest two workers share wins. The
/// workers whose result lost are the ones to quarantine. A worker votes once.
public struct VerificationBallot: Sendable, Equatable {
    /// One worker's result for the shard.
    public struct Vote: Sendable, Equatable {
        public var worker: String
        /// SHA-256 of the result's latents (little-endian floats), hex.
        public var sha: String
        public init(worker: String, sha: String) {
            self.worker = worker
            self.sha = sha
        }
    }

    /// What the ballot needs next, or what it decided.
    public enum Verdict: Sendable, Equatable {
        /// Another worker, none of `excluding`, must compute the shard again.
        case needsVote(excluding: Set<String>)
        /// Every vote agrees on `sha`.
        case agreed(sha: String)
        /// The majority's `sha` wins; `losers` returned something else.
        case decided(sha: String, winners: [String], losers: [String])
        /// `maxVotes` votes and no two agree: the shard's result cannot be trusted
        /// and no worker can be blamed (the job fails, saying so).
        case undecidable(votes: [Vote])
        /// The vote was refused (a second vote from one worker).
        case refused(String)
    }

    public let shard: ShardID
    /// Votes needed to agree before a shard is settled (2: the result and its re-run).
    public let quorum: Int
    /// The most votes the ballot takes before giving up.
    public let maxVotes: Int
    public private(set) var votes: [Vote] = []

    public init(shard: ShardID, quorum: Int = 2, maxVotes: Int = 4) {
        precondition(quorum >= 2 && maxVotes >= quorum + 1, "a ballot needs a quorum of at least 2 and room for a tie-break")
        self.shard = shard
        self.quorum = quorum
        self.maxVotes = maxVotes
    }

    /// Counts `vote` and says what follows.
    public mutating func cast(_ vote: Vote) -> Verdict {
        guard !votes.contains(where: { $0.worker == vote.worker }) else {
            return .refused("\(vote.worker) already voted on shard \(shard); a re-run must go to another worker")
        }
        votes.append(vote)
        return verdict
    }

    /// The ballot's state: the verdict of the votes cast so far.
    public var verdict: Verdict {
        let voters = Set(votes.map(\.worker))
        var counts: [String: Int] = [:]
        for vote in votes { counts[vote.sha, default: 0] += 1 }
        // The digest with most votes; ties by digest text, so the verdict does not
        // depend on the order workers answered in (it is only used once quorate).
        guard let (leader, support) = counts.max(by: { ($0.value, $1.key) < ($1.value, $0.key) }), support >= quorum else {
            return votes.count >= maxVotes ? .undecidable(votes: votes) : .needsVote(excluding: voters)
        }
        if support == votes.count { return .agreed(sha: leader) }
        // A majority must be strict: 2 against 2 is no verdict.
        let runnerUp = counts.filter { $0.key != leader }.map(\.value).max() ?? 0
        guard support > runnerUp else {
            return votes.count >= maxVotes ? .undecidable(votes: votes) : .needsVote(excluding: voters)
        }
        return .decided(
            sha: leader, winners: votes.filter { $0.sha == leader }.map(\.worker),
            losers: votes.filter { $0.sha != leader }.map(\.worker))
    }
}
