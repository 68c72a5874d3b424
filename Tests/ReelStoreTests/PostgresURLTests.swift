import Foundation
import ReelStore
import Testing

@Suite struct PostgresURLTests {
    @Test func urlPasswordIsRedacted() throws {
        let url = try PostgresURL("postgres://alice:s3cr%40tpw@db.example:5433/farm?sslmode=disable")
        #expect(url.hasPassword)
        #expect(url["user"] == "alice")
        #expect(url["password"] == nil)
        #expect(url.description == "postgres://alice:***@db.example:5433/farm?sslmode=disable")
        #expect(!"\(url)".contains("s3cr"))
    }

    @Test func keywordStringPasswordIsRedacted() throws {
        let url = try PostgresURL(#"host=/run/pg user=bob password='p w\'dsecret' dbname=reel"#)
        #expect(url.database == "reel")
        #expect(url["host"] == "/run/pg")
        #expect(url.redacted == "postgres://bob:***@/reel?host=/run/pg")
        #expect(!url.redacted.contains("secret"))
    }

    @Test func queryPasswordIsRedacted() throws {
        let url = try PostgresURL("postgresql:///reel?host=/tmp/sock&user=carol&password=topsecret")
        #expect(url.redacted == "postgres://carol:***@/reel?host=/tmp/sock")
    }

    @Test func socketURLHasNoPassword() {
        let url = PostgresURL.socket(directory: "/tmp/x y", user: "reel", database: "reel")
        #expect(!url.hasPassword)
        #expect(url.redacted == "postgres://reel@/reel?host=/tmp/x%20y")
        #expect(url.with(database: "postgres").database == "postgres")
    }

    @Test(arguments: [
        "postgres://dave:hunter2hunter2@[::1/db",
        "password=hunter2hunter2 host=/tmp bogus",
        "postgres://dave@host/db?password=hunter2hunter2&bogus",
    ])
    func unparseableStringIsRedactedInTheError(_ text: String) {
        do throws(StoreError) {
            _ = try PostgresURL(text)
            Issue.record("'\(text)' parsed")
        } catch {
            guard case .invalidURL = error else {
                Issue.record("expected invalidURL, got \(error)")
                return
            }
            #expect(!"\(error)".contains("hunter2"), "\(error)")
        }
    }

    @Test func failedConnectionDoesNotLeakThePassword() {
        let missing = NSTemporaryDirectory() + "reel-no-server-\(UUID().uuidString.prefix(8))"
        do throws(StoreError) {
            _ = try PostgresConnection(url: "postgres://erin:hunter2hunter2@/reel?host=\(missing)")
            Issue.record("connected to a server that does not exist")
        } catch {
            guard case .connectionFailed(let url, _) = error else {
                Issue.record("expected connectionFailed, got \(error)")
                return
            }
            #expect(url.contains("erin:***@"))
            #expect(!"\(error)".contains("hunter2"), "\(error)")
        }
    }
}
