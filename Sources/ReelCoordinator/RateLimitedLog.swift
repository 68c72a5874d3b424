import ReelPlan

/// Lets at most `perInterval` entries through per interval and counts the rest,
/// so a peer sending junk as fast as it can costs the loop a counter increment,
/// not a log line and a database row each.
struct RateLimitedLog: Sendable {
    let perInterval: Int
    let interval: Duration
    private var windowStart: ContinuousClock.Instant?
    private var admitted = 0
    private var suppressed = 0

    init(perInterval: Int, interval: Duration) {
        self.perInterval = perInterval
        self.interval = interval
    }

    /// `nil` if this entry is suppressed; otherwise how many were suppressed
    /// since the last admitted one (to say so in the entry).
    mutating func admit(now: ContinuousClock.Instant) -> Int? {
        if windowStart.map({ now - $0 >= interval }) ?? true {
            windowStart = now
            admitted = 0
        }
        guard admitted < perInterval else {
            suppressed += 1
            return nil
        }
        admitted += 1
        defer { suppressed = 0 }
        return suppressed
    }
}
