import Foundation
import ReelPlan
import ReelWire

/// The messages of pulling results that ``CoordinatorCore`` orders (the
/// decisions are in `CoordinatorCore+Intake.swift`).
extension Coordinator {
    /// Asks a worker for the result it offered; one that cannot be sent gives its place up.
    func sendPull(_ offer: ResultIntake.Offer) {
        var pull = Reel_V1_ResultPull()
        pull.item = Self.wireItem(offer.work, attempt: offer.attempt)
        var envelope = Reel_V1_Envelope()
        envelope.body = .resultPull(pull)
        if !send(envelope, to: offer.peer) { feed(.pullUnsent(offer, at: time())) }
    }

    /// Tells a worker to drop a result nobody wants.
    func sendDiscard(_ offer: ResultIntake.Offer, reason: String) {
        var pull = Reel_V1_ResultPull()
        pull.item = Self.wireItem(offer.work, attempt: offer.attempt)
        pull.discard = true
        pull.reason = reason
        var envelope = Reel_V1_Envelope()
        envelope.body = .resultPull(pull)
        // Not sent (the peer's connection is gone): it offers again after its next Welcome.
        if send(envelope, to: offer.peer) { feed(.discardSent(offer)) }
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
