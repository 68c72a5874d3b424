import Foundation

/// Several ``OffLoopLane``s that take independent work of one kind, each item
/// going to the least busy (in turn among equals, so that the work, and the
/// CPU time it costs, is shared even when no lane is behind): building assignments (reading and blending the
/// neighbours' outputs, hashing, encoding) costs about 8–12 ms a shard, the most
/// of any stage, and one assignment never waits for another, so the stage is
/// spread over threads instead of bounding the coordinator on one.
final class LaneGroup: @unchecked Sendable {
    let lanes: [OffLoopLane]
    private let lock = NSLock()
    /// Where the next search for the least busy lane starts (guarded by `lock`).
    private var next = 0

    /// `count` lanes named `name-0`, `name-1`, …
    init(name: String, count: Int) {
        lanes = (0..<max(1, count)).map { OffLoopLane(name: "\(name)-\($0)") }
    }

    /// Queues `work` on the lane with the smallest backlog, the first of them
    /// after the one chosen last time.
    func submit(_ work: @escaping OffLoopLane.Work) {
        lock.lock()
        let start = next
        var chosen = start % lanes.count
        for offset in 0..<lanes.count {
            let index = (start + offset) % lanes.count
            if lanes[index].backlog < lanes[chosen].backlog { chosen = index }
        }
        next = chosen + 1
        lock.unlock()
        lanes[chosen].submit(work)
    }

    /// Items queued or running on all the lanes.
    var backlog: Int { lanes.reduce(0) { $0 + $1.backlog } }

    /// The events finished work produced since the last call, lane by lane.
    func drain() -> [LoopEvent] { lanes.flatMap { $0.drain() } }

    func runHeavyWork(atNice nice: Int32) {
        for lane in lanes { lane.runHeavyWork(atNice: nice) }
    }

    /// Finishes every lane's queued work, then ends their threads.
    func stop() {
        for lane in lanes { lane.stop() }
    }
}
