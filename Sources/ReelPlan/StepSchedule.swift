/// How the N sampling steps split into blocks between blends.
///
/// Blocks hold `blendEvery` steps, except that the first and last may be set
/// shorter (early steps fix the layout and late steps the detail, so blending
/// more often there keeps windows from drifting apart). When the middle steps do
/// not divide evenly, the middle blocks differ by at most one step instead of
/// leaving a short remnant.
public struct StepSchedule: Hashable, Sendable, Codable {
    /// Sampling steps N.
    public let steps: Int
    /// Steps per middle block K.
    public let blendEvery: Int
    /// Steps in the first block (`1...K`).
    public let firstBlock: Int
    /// Steps in the last block (`1...K`).
    public let lastBlock: Int
    /// The blocks, covering `0..<steps` in order without gaps.
    public let blocks: [StepBlock]

    /// - Parameters:
    ///   - firstBlock: steps in the first block; defaults to `blendEvery`.
    ///   - lastBlock: steps in the last block; defaults to `blendEvery`.
    /// - Throws: ``PlanError`` for `steps < 1`, `blendEvery` outside `1...steps`, or a
    ///   first or last block outside `1...blendEvery`.
    public init(steps: Int, blendEvery: Int, firstBlock: Int? = nil, lastBlock: Int? = nil) throws(PlanError) {
        guard steps >= 1 else { throw .notPositive(.steps, value: steps) }
        guard blendEvery >= 1 else { throw .notPositive(.blendEvery, value: blendEvery) }
        guard blendEvery <= steps else { throw .outOfRange(.blendEvery, value: blendEvery, valid: 1...steps) }
        let first = firstBlock ?? blendEvery
        let last = lastBlock ?? blendEvery
        guard (1...blendEvery).contains(first) else {
            throw .outOfRange(.firstBlock, value: first, valid: 1...blendEvery)
        }
        guard (1...blendEvery).contains(last) else {
            throw .outOfRange(.lastBlock, value: last, valid: 1...blendEvery)
        }
        self.steps = steps
        self.blendEvery = blendEvery
        self.firstBlock = first
        self.lastBlock = last
        self.blocks = Self.split(steps: steps, every: blendEvery, first: first, last: last)
    }

    private static func split(steps: Int, every: Int, first: Int, last: Int) -> [StepBlock] {
        var sizes: [Int]
        if steps <= first {
            sizes = [steps]
        } else if steps - first <= last {
            sizes = [first, steps - first]
        } else {
            let middle = steps - first - last
            let count = (middle + every - 1) / every
            // Spread the remainder: the first `middle % count` blocks get one step more.
            sizes = [first]
            if count > 0 {
                sizes += (0..<count).map { middle / count + ($0 < middle % count ? 1 : 0) }
            }
            sizes.append(last)
        }
        var blocks: [StepBlock] = []
        var start = 0
        for size in sizes {
            blocks.append(StepBlock(index: blocks.count, start: start, end: start + size))
            start += size
        }
        return blocks
    }
}
