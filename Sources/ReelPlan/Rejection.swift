/// Why a state machine ignored an event: the event is not allowed in the current
/// state, or comes from a stale lease. The state is unchanged; callers log it and
/// carry on (a late message from a lost worker is normal, not a crash).
public struct Rejection: Hashable, Sendable, CustomStringConvertible {
    /// The event, as its method name (`complete`, `lease`, …).
    public let event: String
    /// The state the machine was in (the persisted name).
    public let state: String
    /// What would have made the event acceptable.
    public let reason: String

    public init(event: String, state: String, reason: String) {
        self.event = event
        self.state = state
        self.reason = reason
    }

    public var description: String { "\(event) rejected in state \(state): \(reason)" }
}
