import Foundation
import ReelWire

/// Results travel when the coordinator pulls them.
///
/// A finished result is encoded once and held here; the worker sends a small
/// ``Reel_V1_ResultOffer`` and the coordinator answers with a
/// ``Reel_V1_ResultPull`` when it can take the bytes in. So a coordinator serving
/// many workers never holds more results in memory than it pulls at once, however
/// many finish together (at 832×480 each is 8 MB; at 3840×2160 far more).
extension Worker {
    /// Keeps the encoded result of `key` and offers it.
    func hold(_ key: RunningKey, _ envelope: Reel_V1_Envelope, tensors: [WireTensor]) {
        let frames: [Data]
        do {
            frames = try WireCodec.encode(envelope, tensors: tensors)
        } catch {
            sendFailure(key, WorkerError(.internalError, "cannot encode the result: \(error)"))
            return
        }
        held[key] = frames
        offer(key, frames)
    }

    func offer(_ key: RunningKey, _ frames: [Data]) {
        var offer = Reel_V1_ResultOffer()
        offer.item = key.wire
        offer.byteLength = UInt64(frames.reduce(0) { $0 + $1.count })
        var envelope = Reel_V1_Envelope()
        envelope.body = .resultOffer(offer)
        _ = send(envelope)
    }

    /// The coordinator wants a held result now, or wants it dropped.
    func pulled(_ pull: Reel_V1_ResultPull) {
        guard let key = held.keys.first(where: { $0.matches(pull.item) && $0.attempt == Int(pull.item.attempt) }),
            let frames = held.removeValue(forKey: key)
        else {
            // Already sent or dropped (a pull repeated after a reconnect): nothing to do.
            return
        }
        if pull.discard {
            logger.info("the coordinator discarded a result", metadata: ["job": "\(key.job)", "reason": "\(pull.reason.prefix(200))"])
            return
        }
        do {
            try dealer.send(frames)
        } catch {
            // The socket refused it (closing): keep it and offer it again on the next Welcome.
            logger.error("cannot send a pulled result", metadata: ["error": "\(error)"])
            held[key] = frames
            return
        }
        let now = ContinuousClock.now
        recentResults.append((now, key, frames))
        recentResults.removeAll { now - $0.at > .seconds(60) }
        if recentResults.count > 2 * config.slots { recentResults.removeFirst() }
    }

    /// After registering (again): everything held is offered again, and so is
    /// what was pulled recently, in case the coordinator restarted before
    /// recording it. The coordinator discards what it no longer wants.
    func offerResultsAgain() {
        for (_, key, frames) in recentResults where held[key] == nil { held[key] = frames }
        recentResults.removeAll()
        for (key, frames) in held { offer(key, frames) }
    }
}
