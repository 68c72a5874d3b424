/// A run of consecutive sampling steps that a shard performs without blending:
/// steps `start ..< end` of the job's schedule.
public struct StepBlock: Hashable, Sendable, Codable {
    /// Position in the schedule, from 0.
    public let index: Int
    /// First step (0-based).
    public let start: Int
    /// One past the last step.
    public let end: Int

    public init(index: Int, start: Int, end: Int) {
        self.index = index
        self.start = start
        self.end = end
    }

    /// Steps in the block.
    public var count: Int { end - start }

    /// The steps as a range.
    public var steps: Range<Int> { start..<end }
}
