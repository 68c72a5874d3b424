import ReelPlan
import ReelWire

/// Pulling results: workers offer what they finished, and the core pulls at
/// most ``CoordinatorConfig/resultsPulledAtOnce`` at a time (``ResultIntake``).
/// What waits, waits on the workers, which send no more work's worth of results
/// than they are pulled.
extension CoordinatorCore {
    /// A worker finished an item and holds its result.
    mutating func resultOffer(peer: PeerID, _ offer: Reel_V1_ResultOffer, at time: LoopTime) -> [CoordinatorAction] {
        guard workers[peer] != nil else { return [.refuse(peer, .notRegistered, "unknown worker: send hello again")] }
        guard let work = Self.work(offer.item) else { return [reject(peer, "result offer for an item of kind \(offer.item.kind)")] }
        let candidate = ResultIntake.Offer(peer: peer, work: work, attempt: Int(offer.item.attempt))
        if let why = unwanted(candidate) { return discard(candidate, why) }
        return pull(intake.offered(candidate, now: time.instant), at: time)
    }

    /// Orders a pull for each offer the intake admitted, or a discard for one
    /// that went stale while it waited (its place goes to the next).
    mutating func pull(_ offers: [ResultIntake.Offer], at time: LoopTime) -> [CoordinatorAction] {
        var actions: [CoordinatorAction] = []
        var pending = offers
        while !pending.isEmpty {
            let offer = pending.removeFirst()
            if let why = unwanted(offer) {
                actions += discard(offer, why)
                pending += intake.settled(offer.work, now: time.instant)
                continue
            }
            actions.append(.pullResult(offer))
        }
        actions.append(.tally(.resultsWaiting(intake.waiting.count)))
        return actions
    }

    /// A pulled result was handled without reaching the `records` lane (stale,
    /// unknown job): its bytes are gone, so its place goes to the next.
    mutating func settleIfNotRecording(_ work: WorkRef, at time: LoopTime) -> [CoordinatorAction] {
        guard !persisting.contains(work) else { return [] }
        return pull(intake.settled(work, now: time.instant), at: time)
    }

    /// Why `offer` is no longer wanted, or nil: its lease is this worker's at this
    /// attempt and nothing of it is being recorded.
    func unwanted(_ offer: ResultIntake.Offer) -> String? {
        guard let worker = workers[offer.peer] else { return "the worker is gone" }
        if holdsRerun(offer.work, worker: worker.name, token: offer.attempt) { return nil }
        guard let machine = machine(of: offer.work) else { return "\(offer.work) is not running here" }
        guard machine.state.holder == worker.name, token(of: offer.work) == offer.attempt else {
            return "\(offer.work) attempt \(offer.attempt) is no longer \(worker.name)'s (it is \(machine.state.name.rawValue))"
        }
        guard !persisting.contains(offer.work) else { return "a result of \(offer.work) is already being recorded" }
        return nil
    }

    /// Tells the worker to drop a result nobody wants, and logs it as a rejected
    /// (stale) result, which is what it would have been had it been sent.
    func discard(_ offer: ResultIntake.Offer, _ why: String) -> [CoordinatorAction] {
        guard let worker = workers[offer.peer] else { return [] }
        var shard: ShardID?
        if case .shard(_, let id) = offer.work { shard = id }
        return [reject(offer.peer, job: offer.work.job, shard: shard, "stale result offered by \(worker.name): \(why)"), .discardResult(offer, reason: why)]
    }

    /// The discard reached the worker: its slot is free again unless it holds
    /// the item's current lease (a newer attempt).
    mutating func discardSent(_ offer: ResultIntake.Offer) -> [CoordinatorAction] {
        guard let worker = workers[offer.peer] else { return [] }
        if machine(of: offer.work)?.state.holder != worker.name { workers[offer.peer]?.running[offer.work] = nil }
        return []
    }

    static func work(_ item: Reel_V1_WorkItem) -> WorkRef? {
        let job = Int64(clamping: item.jobID)
        switch item.kind {
        case .denoise: return .shard(job: job, ShardID(region: Int(item.region), block: Int(item.block)))
        case .decode: return .chunk(job: job, Int(item.chunk))
        case .encodePrompt: return .encoding(job: job)
        case .encodeSource: return .source(job: job, Int(item.chunk))
        default: return nil
        }
    }
}
