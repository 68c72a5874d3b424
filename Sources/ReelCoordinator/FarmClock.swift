import ReelPlan

/// The coordinator's clock for every timeout: monotonic, so a wall-clock step
/// (NTP, a suspended VM) cannot expire every lease at once or let one outlive its
/// holder. Its readings are ``Timestamp``s anchored at the wall clock when the
/// process started, so what is stored or shown (lease expiries in the database)
/// still reads as a date.
struct FarmClock: Sendable {
    private let originWall: Timestamp
    private let originInstant: ContinuousClock.Instant

    init() {
        originWall = .now
        originInstant = .now
    }

    /// Now, as the state machines and the store take it.
    var now: Timestamp { originWall.advanced(by: ContinuousClock.now - originInstant) }
}
