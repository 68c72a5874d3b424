import ReelPlan
import ReelStore
import Testing

@Suite struct WorkerAndEventTests {
    @Test func registerTouchAndStates() throws {
        let (store, _) = try TestDatabase.freshFarm()
        let models = ["wan-1.3b", "odd, \"name\" {x}"]
        try store.registerWorker(name: "w1", host: "h1", cores: 8, threads: 4, slots: 2, models: models, at: t0)
        try store.registerWorker(name: "w0", host: "h0", cores: 2, threads: 2, slots: 1, models: [], at: t0)
        var workers = try store.workers()
        #expect(workers.map(\.name) == ["w0", "w1"])
        #expect(workers[1].models == models && workers[1].cores == 8 && workers[1].state == .active)
        #expect(workers[1].registeredAt == t0 && workers[1].lastSeenAt == t0)

        let later = t0.advanced(by: .seconds(5))
        #expect(try store.touchWorkers(names: ["w1", "ghost"], at: later) == 1)
        #expect(try store.touchWorkers(names: ["w1"], at: t0) == 1)
        #expect(try store.workers()[1].lastSeenAt == later, "a late heartbeat never moves last_seen back")

        #expect(try store.setWorkerState(name: "w1", to: .lost))
        #expect(!(try store.setWorkerState(name: "ghost", to: .lost)))
        #expect(try store.workers()[1].state == .lost)
        // Re-registering after a restart makes it active again with its new shape.
        try store.registerWorker(name: "w1", host: "h1b", cores: 16, threads: 8, slots: 4, models: ["x"], at: later)
        workers = try store.workers()
        #expect(workers[1].state == .active && workers[1].host == "h1b" && workers[1].models == ["x"])
        expectServerError("23514") { () throws(StoreError) in
            try store.registerWorker(name: "w2", host: "h", cores: 0, threads: 1, slots: 1, models: [], at: t0)
        }
    }

    @Test func eventsAreReturnedOldestFirstWithinTheLimit() throws {
        let (store, _) = try TestDatabase.freshFarm()
        let id = try ClaimTests.makeJob(store, regions: 1)
        for n in 0..<5 {
            try store.appendEvent(kind: "note", job: id, shard: ShardID(region: n, block: 1), worker: "w", detail: "\(n)")
        }
        try store.appendEvent(kind: "farm", detail: "no job")
        let latest = try store.events(job: id, limit: 3)
        #expect(latest.map(\.detail) == ["2", "3", "4"])
        #expect(latest.map(\.shard) == (2...4).map { ShardID(region: $0, block: 1) })
        #expect(try store.events(job: id).first?.kind == .jobCreated)
        #expect(try store.events(limit: 1).map(\.kind) == ["farm"])
        #expect(try store.events().count == 7)
    }

    /// Events older than the retention go; newer ones stay. (Until this test, the
    /// prune's SQL passed a bigint where make_interval takes an int, and every
    /// hourly prune failed.)
    @Test func pruneRemovesOnlyEventsOlderThanTheRetention() throws {
        let (store, _) = try TestDatabase.freshFarm()
        try store.appendEvent(kind: "farm", detail: "recent")
        try store.connection.execute(
            "INSERT INTO events (at, kind, detail) VALUES (now() - interval '40 days', 'farm', 'old')", name: "oldEvent")
        #expect(try store.pruneEvents(olderThanDays: 30) == 1)
        #expect(try store.events().map(\.detail) == ["recent"])
        #expect(try store.pruneEvents(olderThanDays: 30) == 0)
    }
}
