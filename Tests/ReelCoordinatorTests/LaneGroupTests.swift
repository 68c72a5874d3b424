import Foundation
import Testing

@testable import ReelCoordinator

/// Assignments are built on a group of lanes: work goes to the least busy lane,
/// in turn among equals, so neither thread carries the stage alone.
@Suite struct LaneGroupTests {
    final class Tally: @unchecked Sendable {
        private let lock = NSLock()
        private var counts: [String: Int] = [:]
        func note() {
            let name = Thread.current.name ?? "?"
            lock.lock()
            counts[name, default: 0] += 1
            lock.unlock()
        }
        var snapshot: [String: Int] {
            lock.lock()
            defer { lock.unlock() }
            return counts
        }
    }

    static func waitUntilIdle(_ group: LaneGroup) {
        let deadline = ContinuousClock.now + .seconds(120)
        while group.backlog > 0 && ContinuousClock.now < deadline { usleep(1000) }
    }

    /// One item at a time, each finished before the next: the lanes take turns.
    @Test func idleLanesTakeTurns() {
        let group = LaneGroup(name: "test-turns", count: 2)
        defer { group.stop() }
        let tally = Tally()
        for _ in 0..<10 {
            group.submit {
                tally.note()
                return .none
            }
            Self.waitUntilIdle(group)
        }
        #expect(tally.snapshot == ["test-turns-0": 5, "test-turns-1": 5])
        #expect(group.drain().count == 10)
    }

    /// While one lane is held up, new work goes to the other.
    @Test func aBusyLaneIsPassedOver() {
        let group = LaneGroup(name: "test-busy", count: 2)
        defer { group.stop() }
        let release = DispatchSemaphore(value: 0)
        let tally = Tally()
        group.submit {
            tally.note()
            release.wait()
            return .none
        }
        for _ in 0..<4 {
            group.submit {
                tally.note()
                return .none
            }
            // Wait for the free lane only (the held one keeps a backlog of 1).
            let deadline = ContinuousClock.now + .seconds(120)
            while group.backlog > 1 && ContinuousClock.now < deadline { usleep(1000) }
        }
        // The held item notes itself once its thread runs it, which on a loaded
        // machine (a CI run beside other work) can come after the others: wait for
        // it, so that what is checked is where each item went, not which ran first.
        let deadline = ContinuousClock.now + .seconds(120)
        while tally.snapshot.values.reduce(0, +) < 5 && ContinuousClock.now < deadline { usleep(1000) }
        #expect(tally.snapshot == ["test-busy-0": 1, "test-busy-1": 4])
        release.signal()
        Self.waitUntilIdle(group)
    }
}
