import Foundation
import ReelTensor

/// A thread that runs the coordinator's heavy work in order, off the event loop.
///
/// The loop serves ZeroMQ, heartbeats and the API; anything that can take longer
/// than a few milliseconds (reading and blending shard outputs, hashing, fsync'd
/// blob writes, transactions that record results, joining the video) is handed to
/// a lane as a closure. The closure's return value is an event the loop picks up
/// on its next turn (``drain()``), so the loop's state only ever changes on the
/// loop's thread and the work itself never blocks it.
final class OffLoopLane: @unchecked Sendable {
    /// Work for the lane: runs on its thread and says what happened.
    typealias Work = @Sendable () -> LoopEvent

    let name: String
    private let condition = NSCondition()
    private var queue: [Work] = []
    private var running = false
    private var outcomes: [LoopEvent] = []
    private var stopped = false
    private var thread: Thread?
    /// The nice value the lane's thread runs its work at (see ``ThreadPriority``):
    /// above 0 for the heavy lanes, so the loop's thread, which serves sockets,
    /// heartbeats and the API, runs first when the cores are all busy. Set before
    /// any work is submitted; 0 leaves the thread at the default.
    private var nice: Int32 = 0

    init(name: String) {
        self.name = name
        let thread = Thread { [unowned self] in self.serve() }
        thread.name = name
        thread.stackSize = 8 << 20
        self.thread = thread
        thread.start()
    }

    /// Runs the lane's work at `nice` from now on (a thread cannot raise itself
    /// back, so only the first positive value counts).
    func runHeavyWork(atNice nice: Int32) {
        condition.lock()
        self.nice = max(0, nice)
        condition.unlock()
    }

    /// Queues `work`; it runs after everything queued before it.
    func submit(_ work: @escaping Work) {
        condition.lock()
        queue.append(work)
        condition.signal()
        condition.unlock()
    }

    /// Items queued or running (for back-pressure and status).
    var backlog: Int {
        condition.lock()
        defer { condition.unlock() }
        return queue.count + (running ? 1 : 0)
    }

    /// The events finished work produced since the last call, in order.
    func drain() -> [LoopEvent] {
        condition.lock()
        defer { condition.unlock() }
        let taken = outcomes
        outcomes.removeAll(keepingCapacity: true)
        return taken
    }

    /// Finishes the queued work, then ends the thread. Their events stay drainable.
    func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        while thread != nil { condition.wait() }
        condition.unlock()
    }

    private func serve() {
        CPUTime.nameCurrentThread(name)
        while true {
            condition.lock()
            while queue.isEmpty && !stopped { condition.wait() }
            if queue.isEmpty && stopped {
                thread = nil
                condition.broadcast()
                condition.unlock()
                return
            }
            let work = queue.removeFirst()
            running = true
            let nice = self.nice
            condition.unlock()
            if nice > 0 { ThreadPriority.lowerCurrentThread(to: nice) }
            let event = work()
            condition.lock()
            running = false
            outcomes.append(event)
            condition.unlock()
        }
    }
}
