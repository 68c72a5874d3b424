import Foundation
import ReelStore
import Synchronization
import Testing

@Suite struct MigrationTests {
    @Test func appliesOnceThenNothing() throws {
        let connection = try PostgresConnection(url: TestDatabase.freshSchema())
        let migrator = try Migrator()
        #expect(try migrator.migrate(connection) == Migration.farm.map(\.version))
        #expect(try migrator.migrate(connection) == [])
        let rows = try connection.execute("SELECT version, name, checksum FROM reel_schema_migrations ORDER BY version")
        #expect(rows.count == Migration.farm.count)
        for (row, migration) in zip(rows, Migration.farm) {
            #expect(try row.get("name") == migration.name)
            #expect(try row.get("checksum") == migration.checksum)
        }
    }

    /// Migration 3 makes the worker state type again without `draining`; a row
    /// that held it (only by hand) becomes lost, and the others keep theirs.
    @Test func workerStatesLoseDrainingAndKeepTheirRows() throws {
        let connection = try PostgresConnection(url: TestDatabase.freshSchema())
        try Migrator(migrations: Array(Migration.farm.prefix(2))).migrate(connection)
        for (name, state) in [("a", "active"), ("d", "draining"), ("g", "gone")] {
            try connection.execute(
                "INSERT INTO workers (name, host, cores, threads, slots, state) VALUES ($1, 'h', 1, 1, 1, $2::reel_worker_state)",
                [.text(name), .text(state)])
        }
        #expect(try Migrator(migrations: Array(Migration.farm.prefix(3))).migrate(connection) == [3])
        let states = try connection.execute("SELECT name, state::text AS state FROM workers ORDER BY name").map {
            row throws(StoreError) in "\(try row.get("name", as: String.self))=\(try row.get("state", as: String.self))"
        }
        #expect(states == ["a=active", "d=lost", "g=gone"])
        try connection.execute("INSERT INTO workers (name, host, cores, threads, slots) VALUES ('n', 'h', 1, 1, 1)")
        // FarmStore reads today's columns (migration 6 added pools and quarantine).
        try Migrator().migrate(connection)
        #expect(try FarmStore(connection: connection).workers().first { $0.name == "n" }?.state == .active)
    }

    @Test func concurrentMigratorsApplyEachMigrationOnce() throws {
        let url = try TestDatabase.freshSchema()
        let results = Mutex<[Result<[Int], StoreError>]>([])
        DispatchQueue.concurrentPerform(iterations: 3) { _ in
            let result = Result { () throws(StoreError) -> [Int] in
                try Migrator().migrate(PostgresConnection(url: url))
            }
            results.withLock { $0.append(result) }
        }
        let applied = try results.withLock { try $0.map { try $0.get() } }
        #expect(applied.flatMap { $0 }.sorted() == Migration.farm.map(\.version))
    }

    @Test func tamperedChecksumIsRefused() throws {
        let connection = try PostgresConnection(url: TestDatabase.freshSchema())
        try Migrator().migrate(connection)
        try connection.execute("UPDATE reel_schema_migrations SET checksum = $1 WHERE version = 1", [.text("edited")])
        do throws(StoreError) {
            try Migrator().migrate(connection)
            Issue.record("a changed checksum was accepted")
        } catch {
            guard case .migrationChanged(1, "farm", "edited", Migration.farm[0].checksum) = error else {
                Issue.record("\(error)")
                return
            }
            #expect("\(error)".contains("append-only"))
        }
    }

    @Test func editedMigrationSQLIsRefused() throws {
        let connection = try PostgresConnection(url: TestDatabase.freshSchema())
        let original = Migration(version: 1, name: "one", sql: "CREATE TABLE one (n int)")
        try Migrator(migrations: [original]).migrate(connection)
        let edited = Migration(version: 1, name: "one", sql: "CREATE TABLE one (n bigint)")
        do throws(StoreError) {
            try Migrator(migrations: [edited]).migrate(connection)
            Issue.record("an edited migration was accepted")
        } catch {
            #expect(error == .migrationChanged(version: 1, name: "one", applied: original.checksum, code: edited.checksum))
        }
    }

    @Test func newerDatabaseIsRefused() throws {
        let connection = try PostgresConnection(url: TestDatabase.freshSchema())
        let one = Migration(version: 1, name: "one", sql: "CREATE TABLE one (n int)")
        let two = Migration(version: 2, name: "two", sql: "CREATE TABLE two (n int)")
        try Migrator(migrations: [one, two]).migrate(connection)
        do throws(StoreError) {
            try Migrator(migrations: [one]).migrate(connection)
            Issue.record("an unknown applied migration was accepted")
        } catch {
            #expect(error == .databaseNewer(version: 2, newestKnown: 1))
        }
    }

    @Test func failedMigrationLeavesNoTrace() throws {
        let connection = try PostgresConnection(url: TestDatabase.freshSchema())
        let bad = Migration(version: 1, name: "bad", sql: "CREATE TABLE half (n int); SELECT * FROM missing_table")
        expectServerError("42P01") { () throws(StoreError) in try Migrator(migrations: [bad]).migrate(connection) }
        #expect(try connection.execute("SELECT to_regclass('half') IS NULL AS gone").first().get("gone") == true)
        #expect(try connection.execute("SELECT * FROM reel_schema_migrations").isEmpty)
    }

    @Test func versionsMustRunInOrder() {
        let one = Migration(version: 1, name: "one", sql: "SELECT 1")
        let three = Migration(version: 3, name: "three", sql: "SELECT 1")
        do throws(StoreError) {
            _ = try Migrator(migrations: [one, three])
            Issue.record("a gap in versions was accepted")
        } catch {
            guard case .invalidMigrations(let message) = error else { Issue.record("\(error)"); return }
            #expect(message.contains("three"))
        }
    }

    /// Statements are split at top-level semicolons only: not inside strings, quoted
    /// identifiers, comments or dollar-quoted function bodies.
    @Test func semicolonsInsideQuotesDoNotSplit() throws {
        let connection = try PostgresConnection(url: TestDatabase.freshSchema())
        let sql = #"""
            -- a comment; with a semicolon
            CREATE TABLE "odd;name" (v text);
            /* block; /* nested; */ comment */
            INSERT INTO "odd;name" VALUES ('a;b'), (E'c\';d'), ($tag$e;f$tag$);
            CREATE FUNCTION twice(n int) RETURNS int LANGUAGE plpgsql AS $$
            BEGIN
                RETURN n * 2;
            END
            $$;
            INSERT INTO "odd;name" SELECT twice(21)::text;;
            """#
        try Migrator(migrations: [Migration(version: 1, name: "quotes", sql: sql)]).migrate(connection)
        let values = try connection.execute(#"SELECT v FROM "odd;name" ORDER BY v"#).map { row throws(StoreError) in
            try row.get("v", as: String.self)
        }
        #expect(values == ["42", "a;b", "c';d", "e;f"])
    }
}
