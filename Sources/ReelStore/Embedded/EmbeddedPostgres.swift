#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import ReelHash
import ReelTensor
import Synchronization

/// A private PostgreSQL cluster under a data directory: what Reel uses when no
/// `--db` is given.
///
/// ``start()`` creates the cluster on first use (`initdb`, UTF8, user `reel`,
/// trust on the unix socket, TCP refused), starts it listening on a unix socket
/// only, creates the database, and returns its URL. A later run reuses the cluster;
/// a `postmaster.pid` left by a killed server is detected with `pg_ctl status` and
/// cleared. As root (CI, containers) PostgreSQL refuses to run, so the tools run as
/// the `postgres` user that the Debian package creates, and the cluster is owned by
/// it. ``stop()`` (also run on deinit) stops a server this object started (or
/// adopted: see ``start(owner:)``).
///
/// As root in a private directory (root's home, a `mktemp -d` folder), `postgres`
/// cannot get through a parent. Opening the user's directories to it would expose
/// them, so the cluster lives in `postgres`'s own home instead (see
/// ``clusterDirectory``); deleting the data directory leaves that cluster behind,
/// unused, for the operator to remove.
public final class EmbeddedPostgres: Sendable {
    /// The directory given to ``init(dataDirectory:database:binDirectory:)``.
    public let dataDirectory: URL
    /// The cluster (`PGDATA`): `<dataDirectory>/postgres`, or, as root when the
    /// `postgres` user cannot reach the data directory,
    /// `~postgres/reel-clusters/<id>/postgres` (`/var/lib/postgresql/…` on Debian),
    /// where `<id>` is a random name kept in `<dataDirectory>/cluster-id`: a
    /// recreated data directory gets a new, empty cluster, not its predecessor's.
    public let clusterDirectory: URL
    /// Where the server's unix socket lives: next to the cluster, or under `/tmp`
    /// when that path is too long for a socket address (about 107 bytes).
    public let socketDirectory: String
    /// The database ``start()`` creates and ``url`` names.
    public let database: String
    /// Holds `initdb`, `pg_ctl` and `postgres`.
    public let binDirectory: URL

    /// The role initdb creates as the cluster's superuser.
    public static let user = "reel"
    /// Whether this object started the server (and so stops it).
    private let started = Mutex(false)
    let tools: PostgresTools
    /// Directories above the cluster that must exist and belong to `postgres` (a
    /// cluster kept in its home), outermost first.
    private let ownedParents: [String]

    /// Prepares (but does not start) a cluster under `dataDirectory`. Throws
    /// ``StoreError/postgresNotInstalled(searched:package:)`` if no PostgreSQL server
    /// is installed and `binDirectory` is not given.
    public init(dataDirectory: URL, database: String = "reel", binDirectory: URL? = nil) throws(StoreError) {
        guard database.range(of: "^[a-z_][a-z0-9_]{0,62}$", options: .regularExpression) != nil else {
            throw .invalidArgument("database name '\(database)' must be lowercase letters, digits and _")
        }
        let dataDirectory = dataDirectory.standardizedFileURL
        self.dataDirectory = dataDirectory
        self.database = database
        if let binDirectory {
            self.binDirectory = binDirectory
        } else {
            self.binDirectory = try Self.findBinDirectory()
        }
        do {
            try FileManager.default.createDirectory(at: dataDirectory, withIntermediateDirectories: true)
        } catch {
            throw .fileSystem(path: dataDirectory.path, reason: "cannot create: \(error.localizedDescription)")
        }
        let key = SHA256.hex(SHA256.hash(Array(dataDirectory.path.utf8))).prefix(12)
        tools = try PostgresTools(binDirectory: self.binDirectory)
        var base = dataDirectory
        if tools.asPostgresUser, !tools.postgresUserCanReach(dataDirectory.path) {
            let clusters = URL(fileURLWithPath: try tools.privateHome(), isDirectory: true)
                .appendingPathComponent("reel-clusters", isDirectory: true)
            base = clusters.appendingPathComponent(try Self.clusterID(in: dataDirectory), isDirectory: true)
            ownedParents = [clusters.path, base.path]
        } else {
            ownedParents = []
        }
        clusterDirectory = base.appendingPathComponent("postgres", isDirectory: true)
        let natural = base.appendingPathComponent("postgres-socket").path
        // pg_ctl passes -o through a shell, so the socket path must also be plain.
        let plain = natural.range(of: "^[A-Za-z0-9/._-]+$", options: .regularExpression) != nil
        socketDirectory = plain && natural.utf8.count + "/.s.PGSQL.5432.lock".utf8.count <= 100
            ? natural : "/tmp/reel-pg-\(key)"
    }

    deinit { try? stop() }

    /// The `bin` directory of the highest PostgreSQL version under `root` (Debian
    /// installs each major version at `/usr/lib/postgresql/<version>/bin`).
    public static func findBinDirectory(under root: String = "/usr/lib/postgresql") throws(StoreError) -> URL {
        try PostgresTools.findBinDirectory(under: root)
    }

    /// The URL of the database (valid once started).
    public var url: PostgresURL {
        PostgresURL.socket(directory: socketDirectory, user: Self.user, database: database)
    }

    /// Creates the cluster if needed, starts the server unless one already runs on
    /// it, creates the database, and returns ``url``.
    ///
    /// A server already running on the cluster is used but not stopped: it is not
    /// this object's. With `owner`, the lock on the data directory (or one above
    /// it) that every process starting a server here holds, such a server was left
    /// by a holder that died, and it becomes this object's to stop.
    ///
    /// - Throws: ``StoreError/invalidArgument(_:)`` if `owner` locks a directory
    ///   that does not contain ``dataDirectory``.
    @discardableResult
    public func start(owner: DataDirectoryLock? = nil) throws(StoreError) -> PostgresURL {
        if let owner, dataDirectory.path != owner.directory.path, !dataDirectory.path.hasPrefix(owner.directory.path + "/") {
            throw .invalidArgument(
                "the lock on \(owner.directory.path) does not cover the cluster under \(dataDirectory.path): "
                    + "a server running there may still have a live owner, so it cannot be adopted")
        }
        // One at a time, so that each is created 0700 and handed over before the next
        // goes inside it (created together, the outer ones would stay root's).
        for parent in ownedParents { try tools.makeOwnedDirectory(parent) }
        if !FileManager.default.fileExists(atPath: clusterDirectory.appendingPathComponent("PG_VERSION").path) {
            try tools.makeOwnedDirectory(clusterDirectory.path)
            try tools.run("initdb", [
                "-D", clusterDirectory.path, "-U", Self.user, "-E", "UTF8", "--no-locale",
                // Trust only the unix socket (the directory is private); refuse TCP.
                "--auth-local=trust", "--auth-host=reject", "--no-instructions",
            ])
        }
        try tools.makeOwnedDirectory(clusterDirectory.path)
        try tools.makeOwnedDirectory(socketDirectory)
        if try !serverIsRunning() {
            try startServer()
            started.withLock { $0 = true }
        } else if owner != nil {
            started.withLock { $0 = true }
        }
        try createDatabase()
        return url
    }

    /// Stops the server if this object started it (`pg_ctl stop -m fast`).
    public func stop() throws(StoreError) {
        // Only one try: if the server is already gone (killed), a later stop (deinit)
        // must not stop a server someone else has started on the cluster since.
        guard started.withLock({ let was = $0; $0 = false; return was }) else { return }
        try tools.run("pg_ctl", ["stop", "-D", clusterDirectory.path, "-m", "fast", "-w", "-t", "60"])
    }

    /// Raises the running server's processes (the postmaster, so every backend it
    /// forks from now on, and the children it has) to `nice`. The coordinator's
    /// loop waits on its statements: a loop given priority over other work on a
    /// busy machine would otherwise still wait for a backend that does not get a
    /// core. Needs root or `CAP_SYS_NICE`. Returns how many processes took it: 0
    /// when the system refused (or no server runs).
    public func raisePriority(to nice: Int32) -> Int {
        guard let pid = recordedPostmasterPID(), isPostmaster(pid: pid) else { return 0 }
        let which = __priority_which_t(PRIO_PROCESS.rawValue)
        guard setpriority(which, id_t(pid), nice) == 0 else { return 0 }
        // A child that exited since the list was read is simply not counted.
        let children = (try? String(contentsOfFile: "/proc/\(pid)/task/\(pid)/children", encoding: .utf8)) ?? ""
        return 1 + children.split(separator: " ").compactMap { Int32($0) }.filter { setpriority(which, id_t($0), nice) == 0 }.count
    }

    /// The random name of `directory`'s cluster in the `postgres` user's home: made
    /// on first use and kept in `<directory>/cluster-id`.
    private static func clusterID(in directory: URL) throws(StoreError) -> String {
        let path = directory.appendingPathComponent("cluster-id").path
        if !FileManager.default.fileExists(atPath: path) {
            // Written aside and linked into place, so a concurrent start reads a whole
            // id (its own or the winner's), never a half-written one.
            let id = UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
            let aside = path + ".\(id)"
            defer { unlink(aside) }
            do {
                try Data((id + "\n").utf8).write(to: URL(fileURLWithPath: aside))
            } catch {
                throw .fileSystem(path: aside, reason: "cannot write the cluster id: \(error.localizedDescription)")
            }
            guard link(aside, path) == 0 || errno == EEXIST else {
                throw .fileSystem(path: path, reason: "cannot create: \(String(cString: strerror(errno)))")
            }
        }
        let text = ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.range(of: "^[0-9a-f]{32}$", options: .regularExpression) != nil else {
            throw .fileSystem(
                path: path,
                reason: "holds '\(text.prefix(40))', expected 32 lowercase hex digits naming this data directory's cluster "
                    + "in the postgres user's home")
        }
        return text
    }

    /// Whether a live server runs on the cluster. A `postmaster.pid` whose process
    /// is gone (or is not this cluster's postmaster: its pid was reused) is stale
    /// and removed, so the server can start again after a crash or a SIGKILL.
    /// Whether a postmaster runs on the cluster now (what a supervisor checks).
    public func isRunning() throws(StoreError) -> Bool { try serverIsRunning() }

    private var pidFile: String { clusterDirectory.appendingPathComponent("postmaster.pid").path }

    /// The pid on `postmaster.pid`'s first line, if the file is there.
    private func recordedPostmasterPID() -> Int32? {
        guard let contents = try? String(contentsOfFile: pidFile, encoding: .utf8) else { return nil }
        return contents.split(separator: "\n").first.flatMap { Int32($0) }
    }

    private func serverIsRunning() throws(StoreError) -> Bool {
        guard FileManager.default.isReadableFile(atPath: pidFile) else { return false }
        let status = try tools.run("pg_ctl", ["status", "-D", clusterDirectory.path], allowFailure: true).status
        if status == 0, let pid = recordedPostmasterPID(), isPostmaster(pid: pid) {
            return true
        }
        guard unlink(pidFile) == 0 || errno == ENOENT else {
            throw .fileSystem(path: pidFile, reason: "cannot remove the stale pid file: \(String(cString: strerror(errno)))")
        }
        return false
    }

    /// Whether `pid` is a postgres process whose working directory is this cluster
    /// (the postmaster changes into its data directory). Where /proc is missing,
    /// trusts `pg_ctl status`.
    private func isPostmaster(pid: Int32) -> Bool {
        guard FileManager.default.fileExists(atPath: "/proc/self/cwd") else { return true }
        guard let cwd = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/cwd") else {
            return false
        }
        return URL(fileURLWithPath: cwd).resolvingSymlinksInPath().path
            == clusterDirectory.resolvingSymlinksInPath().path
    }

    private func startServer() throws(StoreError) {
        let log = clusterDirectory.appendingPathComponent("reel-postgres.log").path
        let options = "-k '\(socketDirectory)' -c listen_addresses='' -c fsync=on"
        let arguments = ["start", "-D", clusterDirectory.path, "-l", log, "-w", "-t", "60", "-o", options]
        // After a SIGKILL the old server's children may hold its shared memory for a
        // moment (they exit once they notice the postmaster is gone): retry briefly.
        var failure: StoreError?
        for attempt in 0..<5 {
            if attempt > 0 { usleep(400_000) }
            do {
                try tools.run("pg_ctl", arguments)
                return
            } catch {
                failure = error
            }
        }
        let tail = (try? String(contentsOfFile: log, encoding: .utf8)).map { String($0.suffix(1500)) } ?? ""
        if case let .toolFailed(tool, arguments, status, output)? = failure {
            throw .toolFailed(tool: tool, arguments: arguments, status: status, output: output + "\nserver log: " + tail)
        }
        throw failure ?? .invalidArgument("pg_ctl start failed")
    }

    private func createDatabase() throws(StoreError) {
        let connection = try PostgresConnection(url: url.with(database: "postgres"))
        let exists = try connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = $1", [.text(database)], name: "find database")
        guard exists.isEmpty else { return }
        do {
            // An identifier cannot be a parameter; `database` was checked to be [a-z0-9_].
            try connection.execute("CREATE DATABASE \"\(database)\"", name: "create database \(database)")
        } catch {
            // Another process created it between the check and here.
            if error.sqlState != "42P04" { throw error }
        }
    }
}
