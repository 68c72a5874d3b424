import ReelWire

/// Which offered results the coordinator pulls, and when: at most `capacity` at
/// a time, in the order they were offered.
///
/// Workers hold finished results and offer them (``Reel_V1_ResultOffer``); a
/// result's bytes travel only when pulled. A pulled result counts against the
/// capacity from the pull until its bytes leave memory: rejected on arrival, or
/// stored by the `records` lane. So the coordinator's memory for results is
/// `capacity` results, whether 3 or 300 workers finish at once, and a slow disk
/// makes workers wait, not the coordinator grow. A value type: the loop feeds it
/// events and carries out the pulls it returns.
struct ResultIntake {
    /// Results pulled and not yet settled, at most.
    let capacity: Int
    /// How long a pulled result may take to arrive before its place is given to
    /// the next (the worker restarted, or the message was lost).
    let arrivalTimeout: Duration

    struct Offer: Equatable {
        var peer: PeerID
        var work: WorkRef
        var attempt: Int
    }

    /// Pulled results by item: when pulled, and whether they arrived.
    private(set) var pulled: [WorkRef: (offer: Offer, at: ContinuousClock.Instant, arrived: Bool)] = [:]
    /// Offers waiting for a place, oldest first.
    private(set) var waiting: [Offer] = []

    init(capacity: Int, arrivalTimeout: Duration) {
        precondition(capacity >= 1, "the coordinator must be able to pull at least one result")
        self.capacity = capacity
        self.arrivalTimeout = arrivalTimeout
    }

    /// A worker offers a result; returns what to pull now. An offer repeated for
    /// an item already waiting or pulled replaces nothing and pulls nothing.
    mutating func offered(_ offer: Offer, now: ContinuousClock.Instant) -> [Offer] {
        if let current = pulled[offer.work], current.offer == offer { return [] }
        if waiting.contains(offer) { return [] }
        // A newer attempt supersedes an older offer of the same item.
        waiting.removeAll { $0.work == offer.work }
        waiting.append(offer)
        return admit(now: now)
    }

    /// A result message for `work` arrived. Returns whether it was pulled (an
    /// unsolicited one, from a peer that does not wait for pulls, is not counted).
    mutating func arrived(_ work: WorkRef, attempt: Int, from peer: PeerID) -> Bool {
        guard let entry = pulled[work], entry.offer.peer == peer, entry.offer.attempt == attempt else { return false }
        pulled[work]?.arrived = true
        return true
    }

    /// The bytes of `work`'s pulled result left memory: returns what to pull next.
    mutating func settled(_ work: WorkRef, now: ContinuousClock.Instant) -> [Offer] {
        guard pulled.removeValue(forKey: work) != nil else { return [] }
        return admit(now: now)
    }

    /// `peer` is gone: its offers are dropped, and so are its pulls whose results
    /// never arrived (those that arrived settle when they are stored).
    mutating func peerGone(_ peer: PeerID, now: ContinuousClock.Instant) -> [Offer] {
        waiting.removeAll { $0.peer == peer }
        for (work, entry) in pulled where entry.offer.peer == peer && !entry.arrived { pulled[work] = nil }
        return admit(now: now)
    }

    /// Pulls whose results did not arrive within ``arrivalTimeout`` give their
    /// place up; returns what to pull instead.
    mutating func expire(now: ContinuousClock.Instant) -> [Offer] {
        for (work, entry) in pulled where !entry.arrived && now - entry.at > arrivalTimeout { pulled[work] = nil }
        return admit(now: now)
    }

    private mutating func admit(now: ContinuousClock.Instant) -> [Offer] {
        var pulls: [Offer] = []
        while pulled.count < capacity, !waiting.isEmpty {
            let next = waiting.removeFirst()
            pulled[next.work] = (next, now, false)
            pulls.append(next)
        }
        return pulls
    }
}
