import ReelPlan

/// A lease that ended without a result (expired or its worker was lost), and what
/// the store did about it.
public struct LostLease: Hashable, Sendable {
    /// What happened to the item.
    public enum Outcome: Hashable, Sendable {
        /// Back to ready, leasable from `notBefore`.
        case retry(notBefore: Timestamp)
        /// Out of tries: the item and its job failed.
        case failed
    }

    /// The lease as it was.
    public var lease: Lease
    /// Why it was lost (`lease of w1 expired`, `worker w1 lost`).
    public var reason: String
    /// What the store did.
    public var outcome: Outcome
}
