import Foundation
import ReelPlan
import ReelWire

/// Pulling results: workers offer what they finished, and the loop pulls at
/// most ``CoordinatorConfig/resultsPulledAtOnce`` at a time (``ResultIntake``).
/// What waits, waits on the workers, which send no more work's worth of results
/// than they are pulled.
extension Coordinator {
    /// A worker finished an item and holds its result.
    func handleResultOffer(peer: PeerID, _ offer: Reel_V1_ResultOffer) {
        guard workers[peer] != nil else {
            refuse(peer, .notRegistered, "unknown worker: send hello again")
            return
        }
        guard let work = Self.work(offer.item) else {
            reject(peer: peer, "result offer for an item of kind \(offer.item.kind)")
            return
        }
        let candidate = ResultIntake.Offer(peer: peer, work: work, attempt: Int(offer.item.attempt))
        if let why = unwanted(candidate) {
            discard(candidate, why)
            return
        }
        pull(intake.offered(candidate, now: .now))
    }

    /// Sends a pull for each offer the intake admitted, or a discard for one that
    /// went stale while it waited (its place goes to the next).
    func pull(_ offers: [ResultIntake.Offer]) {
        var pending = offers
        while !pending.isEmpty {
            let offer = pending.removeFirst()
            if let why = unwanted(offer) {
                discard(offer, why)
                pending += intake.settled(offer.work, now: .now)
                continue
            }
            var pull = Reel_V1_ResultPull()
            pull.item = Self.wireItem(offer.work, attempt: offer.attempt)
            var envelope = Reel_V1_Envelope()
            envelope.body = .resultPull(pull)
            if !send(envelope, to: offer.peer) { pending += intake.settled(offer.work, now: .now) }
        }
        statistics.resultsWaiting = intake.waiting.count
    }

    /// A pulled result was handled without reaching the `records` lane (stale,
    /// unknown job): its bytes are gone, so its place goes to the next.
    func settleIfNotRecording(_ work: WorkRef) {
        guard !persisting.contains(work) else { return }
        pull(intake.settled(work, now: .now))
    }

    /// Why `offer` is no longer wanted, or nil: its lease is this worker's at this
    /// attempt and nothing of it is being recorded.
    private func unwanted(_ offer: ResultIntake.Offer) -> String? {
        guard let worker = workers[offer.peer] else { return "the worker is gone" }
        guard let machine = machine(of: offer.work) else { return "\(offer.work) is not running here" }
        guard machine.state.holder == worker.name, token(of: offer.work) == offer.attempt else {
            return "\(offer.work) attempt \(offer.attempt) is no longer \(worker.name)'s (it is \(machine.state.name.rawValue))"
        }
        guard !persisting.contains(offer.work) else { return "a result of \(offer.work) is already being recorded" }
        return nil
    }

    /// Tells the worker to drop a result nobody wants, and logs it as a rejected
    /// (stale) result, which is what it would have been had it been sent.
    private func discard(_ offer: ResultIntake.Offer, _ why: String) {
        guard let worker = workers[offer.peer] else { return }
        var shard: ShardID?
        if case .shard(_, let id) = offer.work { shard = id }
        reject(peer: offer.peer, job: offer.work.job, shard: shard, "stale result offered by \(worker.name): \(why)")
        var pull = Reel_V1_ResultPull()
        pull.item = Self.wireItem(offer.work, attempt: offer.attempt)
        pull.discard = true
        pull.reason = why
        var envelope = Reel_V1_Envelope()
        envelope.body = .resultPull(pull)
        // Not sent (the peer's connection is gone): it offers again after its next Welcome.
        if !send(envelope, to: offer.peer) { return }
        // Its slot is free again unless it holds the item's current lease (a newer attempt).
        if machine(of: offer.work)?.state.holder != worker.name { workers[offer.peer]?.running[offer.work] = nil }
    }

    static func work(_ item: Reel_V1_WorkItem) -> WorkRef? {
        let job = Int64(clamping: item.jobID)
        switch item.kind {
        case .denoise: return .shard(job: job, ShardID(region: Int(item.region), block: Int(item.block)))
        case .decode: return .chunk(job: job, Int(item.chunk))
        default: return nil
        }
    }

    static func wireItem(_ work: WorkRef, attempt: Int) -> Reel_V1_WorkItem {
        var item = Reel_V1_WorkItem()
        item.jobID = UInt64(work.job)
        item.attempt = UInt32(clamping: attempt)
        switch work {
        case .shard(_, let shard):
            item.kind = .denoise
            item.region = UInt32(clamping: shard.region)
            item.block = UInt32(clamping: shard.block)
        case .chunk(_, let chunk):
            item.kind = .decode
            item.chunk = UInt32(clamping: chunk)
        }
        return item
    }
}
