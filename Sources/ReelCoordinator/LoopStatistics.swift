/// How the event loop is doing: the longest pause between two of its turns (the
/// figure that says whether heartbeats and the API are served on time), the time
/// spent deciding rather than waiting, and the traffic.
public struct LoopStatistics: Sendable {
    public init() {}

    /// The longest gap between the starts of two turns.
    public internal(set) var longestGap: Duration = .zero
    /// Time spent in turns outside the socket wait.
    public internal(set) var busy: Duration = .zero
    /// CPU time of the loop's thread, socket work included (waiting costs none).
    public internal(set) var loopCPU: Duration = .zero
    /// Shards whose results were committed.
    public internal(set) var shardsCompleted = 0
    /// Re-runs of done shards handed to a second (or third) worker to check them.
    public internal(set) var reruns = 0
    /// Shards sent back to be computed again because a quarantined worker's
    /// result reached them (its own unchecked results and their cones).
    public internal(set) var shardsInvalidated = 0
    /// Bytes received from and sent to workers.
    public internal(set) var bytesIn = 0
    public internal(set) var bytesOut = 0
    /// Messages rejected (malformed, stale, from unknown peers).
    public internal(set) var rejected = 0
    /// Hellos from workers already registered under the same process (a worker
    /// that thought the coordinator silent): zero on a healthy farm.
    public internal(set) var reregistrations = 0
    /// Results offered by workers and waiting to be pulled (they wait on the
    /// workers, not here).
    public internal(set) var resultsWaiting = 0

    mutating func noteGap(_ gap: Duration) {
        if gap > longestGap { longestGap = gap }
    }
}
