import Foundation
import ReelPlan
import ReelStore
import ReelWire

/// Verified results: a done shard the ``VerificationPolicy`` selects is re-run on
/// another worker before its dependents become ready; a disagreement goes to a
/// third worker, and the loser of the ballot is quarantined (``ShardCheck``).
extension CoordinatorCore {
    /// Whether a result for `shard` will be checked (a pure draw: the same at
    /// every call, so the completing transaction can leave its dependents pending).
    func verifies(job id: Int64, shard: ShardID) -> Bool {
        guard let job = jobs[id] else { return false }
        // A block before an edit's first step is never checked: the edit overwrites
        // its output at every position, so no result of it can reach the clip (and
        // it may run as an empty block on one worker, in full on an older one).
        if job.conditioning?.isSkipped(shard) == true { return false }
        return config.verification.selects(job: id, seed: job.request.seed, shard: shard)
    }

    /// Whether `shard`'s output is final: done, and not under check.
    func settled(job id: Int64, _ shard: ShardID) -> Bool {
        guard let job = jobs[id] else { return false }
        return job.shards[shard]?.machine.state.name == .done && job.checks[shard] == nil
    }

    /// The dependents of `shard` that may become ready once it is settled: each
    /// other input is settled too. A dependent with an input under check waits for
    /// that check, so no shard ever blends an output a ballot could still replace.
    /// An unchecked input being recorded counts: the database decides, in whichever
    /// of the two transactions commits second, that both are done. With checks
    /// off, every dependent (the database alone decides).
    func releasable(job id: Int64, after shard: ShardID) -> [(shard: ShardID, inputs: [ShardID])] {
        guard let job = jobs[id] else { return [] }
        let all = job.dependentsWithInputs(of: shard)
        guard config.verification.fraction > 0 else { return all }
        return all.filter { dependent in
            dependent.inputs.allSatisfy { input in
                input == shard || settled(job: id, input) || (!verifies(job: id, shard: input) && persisting.contains(.shard(job: id, input)))
            }
        }
    }

    /// The readiness `shard`'s settling owes that the database has not given yet
    /// (`made` are those it did): dependents still pending in memory whose inputs
    /// are all settled now. Usually none; a statement only when an input's check
    /// closed while this result was being recorded.
    func owedReadiness(job id: Int64, after shard: ShardID, made: [ShardID]) -> [CoordinatorAction] {
        guard config.verification.fraction > 0 else { return [] }
        let owed = releasable(job: id, after: shard).filter { dependent in
            !made.contains(dependent.shard) && jobs[id]?.shards[dependent.shard]?.machine.state.name == .pending
        }
        return owed.isEmpty ? [] : [.markReady(job: id, candidates: owed, because: .inputsSettled)]
    }

    /// Opens the check of a result that just committed, if the policy selects it.
    mutating func openCheck(job id: Int64, shard: ShardID, worker: String, sha: String, token: Int, at time: LoopTime) -> Bool {
        guard verifies(job: id, shard: shard), jobs[id]?.checks[shard] == nil else { return false }
        jobs[id]?.checks[shard] = ShardCheck(shard: shard, worker: worker, sha: sha, token: token, at: time.instant)
        return true
    }

    /// Whether `worker` holds the re-run of `work` at fencing token `token`, with no result of it in hand yet.
    func holdsRerun(_ work: WorkRef, worker: String, token: Int) -> Bool {
        guard case .shard(let id, let shard) = work, let check = jobs[id]?.checks[shard] else { return false }
        return check.rerun?.worker == worker && check.token == token && !check.comparing
    }

    /// Whether `worker` may re-run a shard of `job` whose ballot excludes `voters`:
    /// it denoises with the job's model, is in the job's pool and is not quarantined.
    func mayRerun(_ worker: ConnectedWorker, job: JobRuntime, voters: Set<String>) -> Bool {
        worker.canDenoise && worker.models[job.request.model] != nil && !voters.contains(worker.name)
            && !quarantined.contains(worker.name) && (job.request.pool.map(worker.pools.contains) ?? true)
    }

    /// Hands each open check that needs a vote to a worker with a free slot.
    /// Re-runs go first: the checked shard's dependents wait for them.
    mutating func dispatchReruns(at time: LoopTime, lanesBehind: Bool) -> [CoordinatorAction] {
        guard !lanesBehind else { return [] }
        var actions: [CoordinatorAction] = []
        for id in jobs.keys.sorted() {
            guard let job = jobs[id], job.machine.state.name == .running else { continue }
            for (shard, check) in job.checks.sorted(by: { $0.key < $1.key }) where check.rerun == nil && !check.comparing && !check.settling {
                guard case .needsVote(let voters) = check.ballot.verdict else { continue }
                // A re-run reads the same inputs: while memory lacks one's output (a reset
                // it has heard of before the check's), it waits, and is given up in time.
                guard job.unknownInputs(of: shard).isEmpty else { continue }
                let candidates = workers.values.filter { $0.freeSlots > 0 && !isClaiming($0.peer) && mayRerun($0, job: job, voters: voters) }
                guard let worker = candidates.max(by: { ($0.freeSlots, $1.name) < ($1.freeSlots, $0.name) }) else { continue }
                jobs[id]?.checks[shard]?.rerun = (worker.name, worker.peer, time.instant)
                actions += [.tally(.rerun), .log(.info, "re-running a shard to check it", ["job": "\(id)", "shard": "\(shard)", "worker": "\(worker.name)"])]
                actions += buildAssignment(job: id, shard: shard, token: check.token, for: worker.peer, at: time)
            }
        }
        return actions
    }

    /// A re-run's result arrived: it is compared off the loop.
    mutating func acceptRerun(worker: String, job id: Int64, shard: ShardID, token: Int, frames: [Data]) -> [CoordinatorAction] {
        guard let job = jobs[id], let check = job.checks[shard] else { return [] }
        jobs[id]?.checks[shard]?.comparing = true
        let box = job.plan.regions[shard.region].box
        return [
            .compareRerun(
                RerunOrder(
                    worker: worker, job: id, shard: shard, token: token,
                    expectedShape: [box.channels, box.frames.length, box.rows.length, box.columns.length], stored: check.stored, frames: frames))
        ]
    }

    /// The comparison answered: the re-run's vote is cast, and the ballot's verdict followed.
    mutating func rerunCompared(worker: String, job id: Int64, shard: ShardID, token: Int, vote: RerunVote, at time: LoopTime) -> [CoordinatorAction] {
        guard var check = jobs[id]?.checks[shard], check.token == token, check.comparing else { return [] }
        check.comparing = false
        check.rerun = nil
        check.waitingSince = time.instant
        var actions: [CoordinatorAction] = []
        let sha: String
        switch vote {
        case .agrees(let agreed, let maxdiff):
            sha = agreed
            actions.append(.appendEvent(job: id, shard: shard, worker: worker, kind: .verifyMatch, detail: "re-run agrees with \(agreed.prefix(12)) (maxdiff \(maxdiff))"))
        case .differs(let own, let maxdiff):
            sha = own
            check.stored.append(own)
            actions.append(
                .appendEvent(
                    job: id, shard: shard, worker: worker, kind: .verifyMismatch,
                    detail: "re-run \(own.prefix(12)) differs from \(check.stored.dropLast().map { String($0.prefix(12)) }) (maxdiff \(maxdiff))"))
        case .invalid(let why):
            sha = "invalid result from \(worker)"
            actions.append(.appendEvent(job: id, shard: shard, worker: worker, kind: .verifyMismatch, detail: "re-run invalid: \(why)"))
        }
        let verdict = check.ballot.cast(.init(worker: worker, sha: sha))
        jobs[id]?.checks[shard] = check
        return actions + follow(verdict, job: id, shard: shard)
    }

    /// What a ballot's verdict asks for.
    private mutating func follow(_ verdict: VerificationBallot.Verdict, job id: Int64, shard: ShardID) -> [CoordinatorAction] {
        guard let check = jobs[id]?.checks[shard] else { return [] }
        switch verdict {
        case .needsVote:
            return []
        case .agreed:
            jobs[id]?.confirmed.insert(shard)
            return [.confirmResult(job: id, shard: shard, token: check.token)] + closeCheck(job: id, shard: shard)
        case .decided(let sha, let winners, let losers):
            jobs[id]?.checks[shard]?.settling = true
            let original = check.ballot.votes.first?.sha
            let reason = "its result for job \(id) shard \(shard) lost a verification ballot to \(winners.joined(separator: ", "))"
            return [
                .log(.warning, "verification ballot decided", ["job": "\(id)", "shard": "\(shard)", "winners": "\(winners)", "losers": "\(losers)"]),
                .settleVerification(job: id, shard: shard, token: check.token, adopt: sha == original ? nil : sha, quarantine: losers, reason: reason),
            ]
        case .undecidable(let votes):
            jobs[id]?.checks[shard] = nil
            return failJob(id, reason: "shard \(shard): \(votes.count) workers returned \(Set(votes.map(\.sha)).count) different results; none can be trusted")
        case .refused(let why):
            return [.log(.error, "vote refused", ["job": "\(id)", "shard": "\(shard)", "why": "\(why)"])]
        }
    }

    /// The database recorded a ballot's outcome (or found the shard moved on).
    mutating func verificationSettled(
        job id: Int64, shard: ShardID, token: Int, adopt: String?, quarantine: [String], outcome: Result<Bool, StoreFailure>
    ) -> [CoordinatorAction] {
        guard let check = jobs[id]?.checks[shard], check.token == token, check.settling else { return [] }
        switch outcome {
        case .success(true):
            quarantined.formUnion(quarantine)
            if let adopt { jobs[id]?.shards[shard]?.outputSHA = adopt }
            jobs[id]?.confirmed.insert(shard)
            let detail = adopt.map { "; the shard takes the winner's output \($0.prefix(12))" } ?? ""
            return [.log(.warning, "workers quarantined", ["job": "\(id)", "shard": "\(shard)", "workers": "\(quarantine)", "detail": "\(detail)"])]
                + closeCheck(job: id, shard: shard)
                + invalidateResults(of: Set(quarantine), reason: "\(quarantine.sorted().joined(separator: ", ")) lost the ballot on job \(id) shard \(shard)")
        case .success(false):
            jobs[id]?.checks[shard] = nil
            return [.log(.info, "a check's shard moved on before its ballot was recorded", ["job": "\(id)", "shard": "\(shard)"])]
        case .failure(let error):
            // Asked again on the next tick (``checkVerifications(at:)``).
            jobs[id]?.checks[shard]?.settling = false
            return [.log(.error, "cannot record a verification ballot", ["job": "\(id)", "shard": "\(shard)", "error": "\(error)"])]
        }
    }

    /// The check is over: the shard's dependents may become ready, its inputs'
    /// blobs may go, and the job blends once nothing else is open.
    mutating func closeCheck(job id: Int64, shard: ShardID) -> [CoordinatorAction] {
        let settledInDatabase = jobs[id]?.checks[shard]?.settling == true
        jobs[id]?.checks[shard] = nil
        guard let job = jobs[id] else { return [] }
        // Deleted before its dependents are readied (both on the loop's connection, in order).
        var actions: [CoordinatorAction] = settledInDatabase ? [] : [.forgetCheck(job: id, shard: shard)]
        actions += owedReadiness(job: id, after: shard, made: [])
        actions.append(.collectBlobs(job: id, shards: garbage(after: shard, job: id), chunks: []))
        if job.allShardsDone { actions += startFinalBlend(id) }
        return actions
    }

    /// On each tick: a re-run whose worker lost it is handed out again, a check no
    /// eligible worker takes in time is given up (logged), and a ballot whose
    /// record failed is recorded again.
    mutating func checkVerifications(at time: LoopTime) -> [CoordinatorAction] {
        var actions: [CoordinatorAction] = []
        for id in jobs.keys.sorted() {
            guard let job = jobs[id] else { continue }
            for (shard, check) in job.checks.sorted(by: { $0.key < $1.key }) where !check.comparing {
                if let rerun = check.rerun {
                    if workers[rerun.peer]?.name != rerun.worker || workers[rerun.peer]?.running[.shard(job: id, shard)] == nil {
                        jobs[id]?.checks[shard]?.rerun = nil
                        jobs[id]?.checks[shard]?.waitingSince = time.instant
                        actions.append(.log(.info, "a re-run was lost; it goes to another worker", ["job": "\(id)", "shard": "\(shard)", "worker": "\(rerun.worker)"]))
                    }
                    continue
                }
                switch check.ballot.verdict {
                case .needsVote(let voters):
                    let anyone = workers.values.contains { mayRerun($0, job: job, voters: voters) }
                    let waited = time.instant - check.waitingSince
                    guard waited >= (anyone ? config.verificationWait : config.heartbeatTimeout) else { continue }
                    let why =
                        !job.unknownInputs(of: shard).isEmpty
                        ? "its inputs' outputs were not known here within \(config.verificationWait)"
                        : anyone ? "no eligible worker took it within \(config.verificationWait)" : "no other connected worker may re-run it"
                    actions += [
                        .log(.warning, "verification given up", ["job": "\(id)", "shard": "\(shard)", "why": "\(why)"]),
                        .appendEvent(job: id, shard: shard, worker: nil, kind: .verifyGivenUp, detail: why),
                    ]
                    actions += closeCheck(job: id, shard: shard)
                case .decided where !check.settling:
                    actions += follow(check.ballot.verdict, job: id, shard: shard)
                default:
                    continue
                }
            }
        }
        return actions
    }
}
