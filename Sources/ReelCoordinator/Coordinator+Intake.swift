import Foundation
import ReelPlan
import ReelWire

/// The messages of pulling results that ``CoordinatorCore`` orders (the
/// decisions are in `CoordinatorCore+Intake.swift`).
extension Coordinator {
    /// Asks a worker for the result it offered; one that cannot be sent gives its place up.
    func sendPull(_ offer: ResultIntake.Offer) {
        if !send(Self.pull(offer, discarding: nil), to: offer.peer) { feed(.pullUnsent(offer, at: time())) }
    }

    /// Tells a worker to drop a result nobody wants.
    func sendDiscard(_ offer: ResultIntake.Offer, reason: String) {
        // Not sent (the peer's connection is gone): it offers again after its next Welcome.
        if send(Self.pull(offer, discarding: reason), to: offer.peer) { feed(.discardSent(offer)) }
    }

    /// A `ResultPull` for `offer`; with a reason, the pull that discards it.
    private static func pull(_ offer: ResultIntake.Offer, discarding reason: String?) -> Reel_V1_Envelope {
        var pull = Reel_V1_ResultPull()
        pull.item = wireItem(offer.work, attempt: offer.attempt)
        if let reason {
            pull.discard = true
            pull.reason = reason
        }
        var envelope = Reel_V1_Envelope()
        envelope.body = .resultPull(pull)
        return envelope
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
        case .encoding:
            item.kind = .encodePrompt
        case .source(_, let index):
            item.kind = .encodeSource
            item.chunk = UInt32(clamping: index)
        }
        return item
    }
}
