import Foundation
import ReelStore
import Testing

@Suite struct EmbeddedPostgresTests {
    private func withDirectory(_ name: String = "reel-pg-test", _ body: (URL) throws -> Void) throws {
        let directory = URL(fileURLWithPath: NSTemporaryDirectory())
            .appendingPathComponent("\(name)-\(UUID().uuidString.prefix(8))", isDirectory: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try body(directory)
    }

    private func postmasterPID(_ cluster: EmbeddedPostgres) throws -> Int32 {
        let text = try String(
            contentsOf: cluster.clusterDirectory.appendingPathComponent("postmaster.pid"), encoding: .utf8)
        return try #require(text.split(separator: "\n").first.flatMap { Int32($0) })
    }

    /// A server killed with SIGKILL leaves its postmaster.pid behind; the next start
    /// must see that it is stale, clear it, and bring the same data back.
    @Test func restartsAfterTheServerIsKilled() throws {
        try withDirectory { directory in
            let first = try EmbeddedPostgres(dataDirectory: directory)
            let url = try first.start()
            let connection = try PostgresConnection(url: url)
            try connection.execute("CREATE TABLE survivors (name text)")
            try connection.execute("INSERT INTO survivors VALUES ($1)", [.text("kept")])
            let pid = try postmasterPID(first)
            #expect(kill(pid, SIGKILL) == 0)
            while kill(pid, 0) == 0 { usleep(10_000) }
            #expect(FileManager.default.fileExists(atPath: first.clusterDirectory.appendingPathComponent("postmaster.pid").path))
            try? first.stop()

            let second = try EmbeddedPostgres(dataDirectory: directory)
            let again = try PostgresConnection(url: try second.start())
            let rows = try again.execute("SELECT name FROM survivors")
            #expect(try rows.first().get("name") == "kept")
            #expect(try postmasterPID(second) != pid)
            // The connection from before the crash fails once, then reconnects.
            do throws(StoreError) {
                try connection.execute("SELECT 1")
                Issue.record("a statement on a dead connection succeeded")
            } catch {
                guard case .connectionLost = error else { Issue.record("\(error)"); return }
            }
            #expect(try connection.execute("SELECT count(*) AS n FROM survivors").first().get("n") == 1)
            again.close()
            try second.stop()
        }
    }

    /// A second object on a running cluster connects to the same server and leaves it
    /// running when it stops.
    @Test func reusesARunningServer() throws {
        try withDirectory { directory in
            let owner = try EmbeddedPostgres(dataDirectory: directory)
            try owner.start()
            let guest = try EmbeddedPostgres(dataDirectory: directory)
            let pid = try postmasterPID(owner)
            try PostgresConnection(url: try guest.start()).execute("SELECT 1")
            try guest.stop()
            #expect(kill(pid, 0) == 0, "the guest stopped a server it did not start")
            try PostgresConnection(url: owner.url).execute("SELECT 1")
            try owner.stop()
            #expect(!FileManager.default.fileExists(atPath: owner.clusterDirectory.appendingPathComponent("postmaster.pid").path))
        }
    }

    /// `reel demo` from root's home or a `mktemp -d` folder: a data directory inside
    /// a 0700 parent. For anyone but root the server runs as the same user and
    /// reaches it anyway; as root it runs as `postgres`, which cannot, so the
    /// cluster must live elsewhere, owned by `postgres`, while the parent stays
    /// exactly as private as it was.
    @Test func startsAndStopsUnderAPrivateParent() throws {
        try withDirectory("reel-pg-private") { parent in
            try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            let cluster = try EmbeddedPostgres(dataDirectory: parent.appendingPathComponent("farm/postgres"))
            defer { Self.removeOutside(parent, cluster) }
            let connection = try PostgresConnection(url: try cluster.start())
            #expect(try connection.execute("SELECT 1 AS one").first().get("one") == 1)
            connection.close()
            if getuid() == 0 {
                #expect(!cluster.clusterDirectory.path.hasPrefix(parent.path + "/"))
                let owner = try #require(getpwnam("postgres")).pointee.pw_uid
                let attributes = try FileManager.default.attributesOfItem(atPath: cluster.clusterDirectory.path)
                #expect((attributes[.ownerAccountID] as? NSNumber)?.uint32Value == owner)
                #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o700)
            }
            try cluster.stop()
            #expect(!FileManager.default.fileExists(atPath: cluster.clusterDirectory.appendingPathComponent("postmaster.pid").path))
            let mode = try FileManager.default.attributesOfItem(atPath: parent.path)[.posixPermissions] as? NSNumber
            #expect(mode?.intValue == 0o700, "the private parent's mode was changed")
        }
    }

    /// Deleting the data directory and making it again starts from an empty
    /// database, also when the cluster lives outside it.
    @Test func aRecreatedPrivateDataDirectoryGetsAnEmptyCluster() throws {
        try withDirectory("reel-pg-private") { parent in
            try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            let data = parent.appendingPathComponent("farm/postgres")
            let first = try EmbeddedPostgres(dataDirectory: data)
            defer { Self.removeOutside(parent, first) }
            try PostgresConnection(url: try first.start()).execute("CREATE TABLE leftover (n int)")
            try first.stop()
            try FileManager.default.removeItem(at: data)

            let second = try EmbeddedPostgres(dataDirectory: data)
            defer { Self.removeOutside(parent, second) }
            let rows = try PostgresConnection(url: try second.start())
                .execute("SELECT count(*) AS n FROM pg_tables WHERE tablename = $1", [.text("leftover")])
            #expect(try rows.first().get("n") == 0)
            try second.stop()
        }
    }

    /// Removes a cluster kept outside the test's directory (in `postgres`'s home).
    static func removeOutside(_ directory: URL, _ cluster: EmbeddedPostgres) {
        try? cluster.stop()
        let home = cluster.clusterDirectory.deletingLastPathComponent()
        if !home.path.hasPrefix(directory.path + "/") { try? FileManager.default.removeItem(at: home) }
    }

    @Test func longDataDirectoryGetsAShortSocketDirectory() throws {
        try withDirectory(String(repeating: "deep", count: 30)) { directory in
            let cluster = try EmbeddedPostgres(dataDirectory: directory)
            #expect(cluster.socketDirectory.hasPrefix("/tmp/reel-pg-"))
            #expect(cluster.socketDirectory.utf8.count < 40)
            #expect(cluster.url["host"] == cluster.socketDirectory)
        }
    }

    @Test func missingPostgreSQLNamesTheDebianPackage() throws {
        try withDirectory { directory in
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            do throws(StoreError) {
                _ = try EmbeddedPostgres.findBinDirectory(under: directory.path)
                Issue.record("found PostgreSQL in an empty directory")
            } catch {
                guard case .postgresNotInstalled(_, "postgresql") = error else { Issue.record("\(error)"); return }
                #expect("\(error)".contains("install the Debian package 'postgresql'"))
            }
            #expect(try EmbeddedPostgres.findBinDirectory().path.hasSuffix("/bin"))
        }
    }

    @Test func badDatabaseNameIsRefused() throws {
        try withDirectory { directory in
            do throws(StoreError) {
                _ = try EmbeddedPostgres(dataDirectory: directory, database: "reel\"; DROP")
                Issue.record("a database name with quotes was accepted")
            } catch {
                guard case .invalidArgument = error else { Issue.record("\(error)"); return }
            }
        }
    }
}
