/// How long a worker holds a shard, and how failed attempts are retried.
public struct RetryPolicy: Hashable, Sendable {
    /// Attempts per shard before it fails for good (the job then fails).
    public var maxAttempts: Int
    /// How long a lease lasts without a heartbeat.
    public var leaseDuration: Duration
    /// Delay before the second attempt; doubled for each further one.
    public var baseBackoff: Duration
    /// Cap on the delay.
    public var maxBackoff: Duration

    public init(
        maxAttempts: Int = 3, leaseDuration: Duration = .seconds(60),
        baseBackoff: Duration = .seconds(5), maxBackoff: Duration = .seconds(300)
    ) {
        self.maxAttempts = max(1, maxAttempts)
        self.leaseDuration = leaseDuration
        self.baseBackoff = baseBackoff
        self.maxBackoff = maxBackoff
    }

    /// 3 attempts, 60 s leases, backoff 5 s, 10 s, … capped at 5 min.
    public static let `default` = RetryPolicy()

    /// The delay after `attempt` (1-based) failed: `base · 2^(attempt − 1)`, capped.
    public func backoff(afterAttempt attempt: Int) -> Duration {
        var delay = baseBackoff
        for _ in 1..<max(attempt, 1) {
            delay *= 2
            if delay >= maxBackoff { return maxBackoff }
        }
        return min(delay, maxBackoff)
    }
}
