import ReelPlan

/// The time an event happened, as the I/O layer read it: the core never reads a
/// clock itself, so its decisions are a function of the events alone.
struct LoopTime: Sendable {
    /// Monotonic: what every timeout is measured with.
    var instant: ContinuousClock.Instant
    /// The same moment as the state machines and the store take it (a monotonic
    /// reading anchored at the wall clock, see ``FarmClock``).
    var stamp: Timestamp
}
