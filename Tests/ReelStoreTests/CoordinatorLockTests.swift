import Foundation
import ReelStore
import Testing

/// The coordinator lock on the shared test database. Serialized: the lock is per
/// database, and these tests take it in turn.
@Suite(.serialized) struct CoordinatorLockTests {
    func connect() throws -> PostgresConnection { try PostgresConnection(url: try TestDatabase.freshSchema()) }

    /// The error `hold` throws, or nil if it took the lock.
    func refusal(_ connection: PostgresConnection, name: String) -> StoreError? {
        do throws(StoreError) {
            try CoordinatorLock.hold(on: connection, name: name)
            return nil
        } catch {
            return error
        }
    }

    /// Takes the lock, waiting up to 5 s for a session a previous test closed: the
    /// server ends a closed session's backend, and so its locks, asynchronously.
    func holdEventually(_ connection: PostgresConnection, name: String) throws {
        for _ in 0 ..< 200 {
            if refusal(connection, name: name) == nil { return }
            usleep(25_000)
        }
        try CoordinatorLock.hold(on: connection, name: name)
    }

    /// Ends `name`'s session from outside, as a restart or a network cut would,
    /// and waits until the server has let go of it.
    func terminate(_ name: String) throws {
        let admin = try connect()
        try admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1", [.text(name)])
        for _ in 0..<200 {
            let left: Int = try admin.execute(
                "SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1", [.text(name)]
            ).first().get("n")
            if left == 0 { return }
            usleep(25_000)
        }
        Issue.record("session \(name) did not end")
    }

    @Test func aSecondCoordinatorIsRefusedNamingTheHolder() throws {
        let first = try connect(), second = try connect()
        try holdEventually(first, name: "reel coordinator test-first")
        let error = try #require(refusal(second, name: "reel coordinator test-second"))
        guard case .databaseInUse(_, let holder) = error else { Issue.record("\(error)"); return }
        #expect(holder?.contains("'reel coordinator test-first'") == true, "\(error)")
        #expect("\(error)".contains("another coordinator is dispatching") && "\(error)".contains("8243106209170681714"))
        // Closing the session lets the lock go, once the server has ended its
        // backend (asynchronous, so a loaded machine may take a moment).
        first.close()
        var taken = false
        for _ in 0 ..< 200 where !taken {
            taken = refusal(second, name: "reel coordinator test-second") == nil
            if !taken { usleep(25_000) }
        }
        #expect(taken, "the lock was not released within 5 s of closing its session")
        second.close()
    }

    @Test func theLockIsTakenAgainAfterAReconnect() throws {
        let first = try connect(), second = try connect()
        try holdEventually(first, name: "reel coordinator test-reconnect")
        try terminate("reel coordinator test-reconnect")
        #expect(throws: StoreError.self) { try first.execute("SELECT 1") }
        try first.execute("SELECT 1")
        #expect(refusal(second, name: "reel coordinator test-other") != nil, "the reconnected session lost the lock")
        first.close()
        second.close()
    }

    /// If another coordinator took the lock while the connection was down, the
    /// reconnected one must not go on without it.
    @Test func aReconnectThatFindsTheLockTakenCloses() throws {
        let first = try connect(), second = try connect()
        try holdEventually(first, name: "reel coordinator test-late")
        try terminate("reel coordinator test-late")
        #expect(refusal(second, name: "reel coordinator test-early") == nil)
        #expect(throws: StoreError.self) { try first.execute("SELECT 1") }
        do throws(StoreError) {
            try first.execute("SELECT 1")
            Issue.record("a statement ran without the coordinator lock")
        } catch {
            guard case .databaseInUse = error else { Issue.record("\(error)"); return }
        }
        do throws(StoreError) {
            try first.execute("SELECT 1")
            Issue.record("the connection stayed open without the coordinator lock")
        } catch {
            guard case .connectionLost = error else { Issue.record("\(error)"); return }
        }
        second.close()
    }
}
