import Synchronization

/// Revisions of the coordinator's bookkeeping (a shard's record, a decode chunk, an
/// encoding, a job's runtime), drawn from one process-wide clock so that no two
/// values of any item ever share one: not a record changed and changed back, nor a
/// record rebuilt by `resume` (which a per-record counter would start at 0 again),
/// nor a job's runtime replaced by a retry. The reconciler's baseline compares them
/// (``ReconcileBaseline``); nothing else reads them, so the pure core's decisions do
/// not depend on their values.
enum Revision {
    private static let clock = Atomic<Int>(0)

    /// A revision no value has had before in this process.
    static func next() -> Int {
        clock.wrappingAdd(1, ordering: .relaxed).newValue
    }
}
