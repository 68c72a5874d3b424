import Foundation
import ReelPlan
import ReelStore
import Testing

/// One real PostgreSQL cluster per test process, shared by every suite; each test
/// works in its own fresh schema, so tests are independent and may run in parallel.
enum TestDatabase {
    /// The cluster under a temporary directory, stopped and removed at exit.
    static let cluster: Result<EmbeddedPostgres, StoreError> = {
        let directory = URL(fileURLWithPath: NSTemporaryDirectory())
            .appendingPathComponent("reel-store-tests-\(UUID().uuidString.prefix(8))", isDirectory: true)
        do throws(StoreError) {
            let cluster = try EmbeddedPostgres(dataDirectory: directory)
            try cluster.start()
            atexit { TestDatabase.shutdown() }
            return .success(cluster)
        } catch {
            return .failure(error)
        }
    }()

    static func shutdown() {
        guard case .success(let cluster) = cluster else { return }
        try? cluster.stop()
        try? FileManager.default.removeItem(at: cluster.dataDirectory)
    }

    /// A new, empty schema; returns a URL whose connections use it (search_path).
    static func freshSchema() throws -> String {
        let cluster = try cluster.get()
        let schema = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let admin = try PostgresConnection(url: cluster.url)
        try admin.execute("CREATE SCHEMA \(schema)")
        let socket = try #require(cluster.url["host"])
        return "postgres://reel@/\(cluster.database)?host=\(socket)&options=-csearch_path%3D\(schema)"
    }

    /// A farm store on a fresh, migrated schema.
    static func freshFarm() throws -> (store: FarmStore, url: String) {
        let url = try freshSchema()
        return (try FarmStore(url: url), url)
    }
}

/// A SHA-256-shaped key derived from `n` (any 64 hex digits pass the schema).
func sha(_ n: Int) -> String {
    let digits = String(n, radix: 16)
    return String(repeating: "0", count: 64 - digits.count) + digits
}

let t0 = Timestamp(milliseconds: 1_700_000_000_000)

/// Runs `body`, which must throw a server error with `sqlState`; returns the error.
@discardableResult
func expectServerError(
    _ sqlState: String, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws(StoreError) -> Void
) -> StoreError? {
    do throws(StoreError) {
        try body()
        Issue.record("expected SQLSTATE \(sqlState), but the statement succeeded", sourceLocation: sourceLocation)
    } catch {
        #expect(error.sqlState == sqlState, "\(error)", sourceLocation: sourceLocation)
        return error
    }
    return nil
}
