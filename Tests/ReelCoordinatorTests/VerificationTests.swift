import Foundation
import ReelPlan
import Testing

@testable import ReelCoordinator

/// Verified results, decided without I/O: which shards are re-run, what the votes
/// decide, and which items a disproved result reaches (issue 14, item 3).
@Suite struct VerificationTests {
    // MARK: Selection

    @Test func selectionIsDeterministicAndHitsTheFraction() {
        let policy = VerificationPolicy(fraction: 0.05)
        let shards = (0 ..< 200).flatMap { r in (0 ..< 100).map { ShardID(region: r, block: $0) } }
        let picked = shards.filter { policy.selects(job: 7, seed: 42, shard: $0) }
        let share = Double(picked.count) / Double(shards.count)
        // 20 000 draws: the binomial standard deviation is 0.0015; 4 of them.
        print("selection: \(picked.count) of \(shards.count) shards, share \(share), maxdiff \(abs(share - 0.05))")
        #expect(abs(share - 0.05) < 0.006)
        // The same job chooses the same shards (after a coordinator restart too) ...
        #expect(shards.filter { policy.selects(job: 7, seed: 42, shard: $0) } == picked)
        // ... and another seed or job other ones.
        #expect(shards.filter { policy.selects(job: 7, seed: 43, shard: $0) } != picked)
        #expect(shards.filter { policy.selects(job: 8, seed: 42, shard: $0) } != picked)
        #expect(!shards.contains { VerificationPolicy(fraction: 0).selects(job: 7, seed: 42, shard: $0) })
        #expect(shards.allSatisfy { VerificationPolicy(fraction: 1).selects(job: 7, seed: 42, shard: $0) })
    }

    /// The detection rate measured over the policy's own choices, against the
    /// closed form 1 − (1 − f·p)ⁿ: a worker poisoning a share p of its shards
    /// (which ones drawn independently of the selection) is caught within n shards.
    @Test func detectionRateMatchesTheClosedForm() {
        let policy = VerificationPolicy(fraction: 0.05)
        let runs = 2000
        for (poisoned, within) in [(1.0, 20), (1.0, 60), (0.1, 200), (0.5, 40)] {
            var caught = 0
            var generator = SplitMix(state: UInt64(within) &* 1_000_003 &+ UInt64(poisoned * 1000))
            for run in 0 ..< runs {
                // Each run is a job whose first `within` shards the worker computes.
                let hit = (0 ..< within).contains { index in
                    let shard = ShardID(region: index % 16, block: index / 16)
                    let poisons = Double(generator.next() >> 11) / Double(UInt64(1) << 53) < poisoned
                    return poisons && policy.selects(job: Int64(run), seed: 99, shard: shard)
                }
                if hit { caught += 1 }
            }
            let measured = Double(caught) / Double(runs)
            let expected = 1 - pow(1 - 0.05 * poisoned, Double(within))
            // 2000 runs: the standard deviation is at most 0.011; 4 of them.
            print("detection p=\(poisoned) n=\(within): measured \(measured), closed form \(expected), maxdiff \(abs(measured - expected))")
            #expect(abs(measured - expected) < 0.045)
            #expect(abs(policy.detectionProbability(poisoned: poisoned, within: within) - expected) < 1e-12)
        }
    }

    // MARK: Ballot

    static let shard = ShardID(region: 1, block: 2)
    static let good = String(repeating: "a", count: 64)
    static let bad = String(repeating: "b", count: 64)
    static let other = String(repeating: "c", count: 64)

    @Test func twoEqualResultsSettleTheShard() {
        var ballot = VerificationBallot(shard: Self.shard)
        #expect(ballot.cast(.init(worker: "a", sha: Self.good)) == .needsVote(excluding: ["a"]))
        #expect(ballot.cast(.init(worker: "b", sha: Self.good)) == .agreed(sha: Self.good))
    }

    @Test func aDisagreementGoesToAThirdWorkerAndTheMajorityWins() {
        var ballot = VerificationBallot(shard: Self.shard)
        _ = ballot.cast(.init(worker: "poisoner", sha: Self.bad))
        #expect(ballot.cast(.init(worker: "b", sha: Self.good)) == .needsVote(excluding: ["poisoner", "b"]))
        #expect(ballot.cast(.init(worker: "c", sha: Self.good)) == .decided(sha: Self.good, winners: ["b", "c"], losers: ["poisoner"]))
        // The poisoner checked second loses the same way.
        var second = VerificationBallot(shard: Self.shard)
        _ = second.cast(.init(worker: "a", sha: Self.good))
        _ = second.cast(.init(worker: "poisoner", sha: Self.bad))
        #expect(second.cast(.init(worker: "c", sha: Self.good)) == .decided(sha: Self.good, winners: ["a", "c"], losers: ["poisoner"]))
    }

    @Test func aWorkerVotesOnceAndNoMajorityIsUndecidable() {
        var ballot = VerificationBallot(shard: Self.shard)
        _ = ballot.cast(.init(worker: "a", sha: Self.good))
        guard case .refused = ballot.cast(.init(worker: "a", sha: Self.good)) else {
            Issue.record("a second vote from one worker must be refused")
            return
        }
        #expect(ballot.votes.count == 1)
        _ = ballot.cast(.init(worker: "b", sha: Self.bad))
        // Three different digests: a fourth vote is still possible ...
        #expect(ballot.cast(.init(worker: "c", sha: Self.other)) == .needsVote(excluding: ["a", "b", "c"]))
        // ... and 2 against 1 against 1 decides.
        #expect(ballot.cast(.init(worker: "d", sha: Self.bad)) == .decided(sha: Self.bad, winners: ["b", "d"], losers: ["a", "c"]))
        // 2 against 2 is no verdict, and the ballot is full.
        var tie = VerificationBallot(shard: Self.shard)
        for (worker, sha) in [("a", Self.good), ("b", Self.bad), ("c", Self.good), ("d", Self.bad)] {
            _ = tie.cast(.init(worker: worker, sha: sha))
        }
        guard case .undecidable(let votes) = tie.verdict else {
            Issue.record("2 against 2 must be undecidable, got \(tie.verdict)")
            return
        }
        #expect(votes.count == 4)
    }

    // MARK: Invalidation cone

    /// Three windows of 6 latent frames overlapping by 2 (13 frames) and three step
    /// blocks: window r's input at block b blends windows r−1, r, r+1 of block b−1.
    static func plan() throws -> Plan {
        let request = JobRequest(
            model: "wan", frames: 49, width: 64, height: 64, seed: 3, plan: PlanConfig(window: 6, overlap: 2, loop: false, steps: 6, blendEvery: 2))
        let plan = try request.makePlan(model: .wan21_1_3B)
        #expect(plan.regions.count == 3 && plan.blocks.count == 3, "the fixture plan's shape changed")
        return plan
    }

    static func s(_ region: Int, _ block: Int) -> ShardID { ShardID(region: region, block: block) }

    @Test func theConeIsEveryShardBlendedFromTheRoot() throws {
        let plan = try Self.plan()
        // Window 0 overlaps window 1 only; from block 1, window 1 reaches window 2.
        #expect(InvalidationCone.reach(from: [Self.s(0, 0)], in: plan) == [Self.s(0, 0), Self.s(0, 1), Self.s(1, 1), Self.s(0, 2), Self.s(1, 2), Self.s(2, 2)])
        #expect(InvalidationCone.reach(from: [Self.s(1, 2)], in: plan) == [Self.s(1, 2)])
        #expect(InvalidationCone.reach(from: [Self.s(1, 0)], in: plan).count == 1 + 3 + 3)
    }

    @Test func aDisprovedRootAdoptsTheWinnerAndItsConeIsRedone() throws {
        let plan = try Self.plan()
        var states: [ShardID: ShardState] = [:]
        for r in 0 ..< 3 { states[Self.s(r, 0)] = .done(worker: "w\(r)", attempt: 1) }
        states[Self.s(0, 1)] = .done(worker: "poisoner", attempt: 1)
        states[Self.s(1, 1)] = .leased(worker: "b", attempt: 1, expiresAt: Timestamp(milliseconds: 9_999))
        states[Self.s(2, 1)] = .done(worker: "c", attempt: 1)
        for r in 0 ..< 3 { states[Self.s(r, 2)] = r == 0 ? .ready(attempts: 0, notBefore: nil) : .pending }
        let cone = InvalidationCone(
            roots: [Self.s(0, 0): Self.good], plan: plan, states: states, recording: [], decoding: false)
        #expect(cone.adopt == [Self.s(0, 0): Self.good])
        // Block 1 reads the adopted output and untouched windows: ready again.
        #expect(cone.ready == [Self.s(0, 1), Self.s(1, 1)])
        #expect(cone.revoke == [Self.s(1, 1): "b"])
        // Block 2 reads block 1's redone shards: pending, the ready one included.
        #expect(cone.pending == [Self.s(0, 2), Self.s(1, 2), Self.s(2, 2)])
        #expect(cone.recheckAfterRecord.isEmpty && !cone.abandonDecode)
        // (2, 1) reads windows 1 and 2 of block 0 only: untouched.
        #expect(!cone.ready.contains(Self.s(2, 1)) && !cone.pending.contains(Self.s(2, 1)))
    }

    @Test func aSuspectedRootIsComputedAgainAndAResultBeingRecordedIsRecheckedLater() throws {
        let plan = try Self.plan()
        var states: [ShardID: ShardState] = [:]
        for r in 0 ..< 3 { states[Self.s(r, 0)] = .done(worker: "w", attempt: 1) }
        states[Self.s(1, 1)] = .leased(worker: "b", attempt: 2, expiresAt: Timestamp(milliseconds: 9_999))
        for r in [0, 2] { states[Self.s(r, 1)] = .done(worker: "w", attempt: 1) }
        for r in 0 ..< 3 { states[Self.s(r, 2)] = .pending }
        // No winner: the quarantined worker's other result at (1, 0).
        let cone = InvalidationCone(
            roots: [Self.s(1, 0): nil], plan: plan, states: states, recording: [Self.s(1, 1)], decoding: false)
        #expect(cone.adopt.isEmpty)
        #expect(cone.ready == [Self.s(1, 0)])
        #expect(cone.recheckAfterRecord == [Self.s(1, 1)])
        #expect(cone.revoke.isEmpty, "a result being recorded cannot be revoked, only rechecked")
        #expect(cone.pending == [Self.s(0, 1), Self.s(2, 1), Self.s(0, 2), Self.s(1, 2), Self.s(2, 2)])
    }

    @Test func aConeReachingTheFinalBlockAbandonsADecode() throws {
        let plan = try Self.plan()
        var states: [ShardID: ShardState] = [:]
        for shard in plan.shards { states[shard] = .done(worker: "w", attempt: 1) }
        let decoding = InvalidationCone(roots: [Self.s(2, 2): Self.good], plan: plan, states: states, recording: [], decoding: true)
        #expect(decoding.abandonDecode)
        #expect(decoding.ready.isEmpty && decoding.pending.isEmpty)
        let early = InvalidationCone(roots: [Self.s(2, 2): Self.good], plan: plan, states: states, recording: [], decoding: false)
        #expect(!early.abandonDecode)
    }
}

/// A small seeded generator for drawing which shards a test's poisoner spoils.
struct SplitMix {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
