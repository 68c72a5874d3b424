import Testing

@testable import ReelCoordinator

/// A worker's recent speed as `reel workers` shows it.
@Suite struct WorkerSpeedTests {
    @Test func shardsPerMinuteIsIntervalsOverTheSpan() {
        let t = ContinuousClock.now
        #expect(ConnectedWorker.shardsPerMinute([]) == nil)
        #expect(ConnectedWorker.shardsPerMinute([t]) == nil, "one completion has no rate")
        #expect(ConnectedWorker.shardsPerMinute([t, t]) == nil, "no time passed")
        // Three stored 6 s apart: two intervals in 12 s, 10 a minute.
        #expect(ConnectedWorker.shardsPerMinute([t, t + .seconds(6), t + .seconds(12)]) == 10)
        #expect(ConnectedWorker.shardsPerMinute([t, t + .milliseconds(1500)]) == 40)
    }
}
