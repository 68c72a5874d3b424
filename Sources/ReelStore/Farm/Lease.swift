/// A lease one worker holds on one item.
public struct Lease: Hashable, Sendable {
    /// The job the item belongs to.
    public var job: Int64
    /// The shard or decode chunk.
    public var item: WorkItem
    /// The holder.
    public var worker: String
    /// The fencing token the holder was given.
    public var attempt: Int
    /// Attempts in the job's current run, this one included.
    public var tries: Int
}
