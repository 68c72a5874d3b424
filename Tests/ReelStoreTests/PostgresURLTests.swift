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

    /// The farm's fault timeouts are added where the URL is silent and never
    /// override what the operator wrote; a statement timeout joins their options.
    @Test func faultTimeoutsFillOnlyWhatIsUnset() throws {
        let plain = try PostgresURL("postgres://reel@db.example:5432/farm").withFaultTimeouts()
        #expect(plain["connect_timeout"] == "5" && plain["keepalives"] == "1" && plain["tcp_user_timeout"] == "30000")
        #expect(plain["options"] == "-c statement_timeout=60000")
        #expect(plain["host"] == "db.example" && plain.database == "farm")
        let tuned = try PostgresURL("postgres://reel@db/farm?connect_timeout=20&options=-c%20search_path%3Dreel").withFaultTimeouts()
        #expect(tuned["connect_timeout"] == "20")
        #expect(tuned["options"] == "-c search_path=reel -c statement_timeout=60000")
        let explicit = try PostgresURL("postgres://reel@db/farm?options=-c%20statement_timeout%3D5000").withFaultTimeouts()
        #expect(explicit["options"] == "-c statement_timeout=5000")
    }
}
