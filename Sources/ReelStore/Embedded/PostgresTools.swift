#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Runs PostgreSQL's server tools, as the `postgres` user when this process is root
/// (the server refuses to run as root).
struct PostgresTools: Sendable {
    let binDirectory: URL
    /// Whether tools run through `runuser -u postgres --`.
    let asPostgresUser: Bool
    private let runuser: String
    private let postgresUID: uid_t
    private let postgresGID: gid_t
    /// The `postgres` user's home directory (`/var/lib/postgresql` on Debian); nil
    /// when tools run as this process's own user.
    let postgresHome: String?

    init(binDirectory: URL) throws(StoreError) {
        self.binDirectory = binDirectory
        asPostgresUser = geteuid() == 0
        runuser = ["/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser"]
            .first { FileManager.default.isExecutableFile(atPath: $0) } ?? "runuser"
        guard asPostgresUser else {
            postgresUID = geteuid()
            postgresGID = getegid()
            postgresHome = nil
            return
        }
        guard let entry = getpwnam("postgres") else {
            throw .invalidArgument(
                "running as root needs the 'postgres' user to own the database cluster; "
                    + "install the Debian package 'postgresql' (it creates the user)")
        }
        postgresUID = entry.pointee.pw_uid
        postgresGID = entry.pointee.pw_gid
        postgresHome = String(cString: entry.pointee.pw_dir)
    }

    /// The `bin` directory of the highest PostgreSQL version under `searchRoot`.
    static func findBinDirectory(under searchRoot: String) throws(StoreError) -> URL {
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: searchRoot)) ?? []
        let candidates = versions.compactMap { name -> (Double, URL)? in
            guard let version = Double(name) else { return nil }
            let bin = URL(fileURLWithPath: searchRoot).appendingPathComponent(name).appendingPathComponent("bin")
            let complete = ["initdb", "pg_ctl", "postgres"].allSatisfy {
                FileManager.default.isExecutableFile(atPath: bin.appendingPathComponent($0).path)
            }
            return complete ? (version, bin) : nil
        }
        guard let best = candidates.max(by: { $0.0 < $1.0 }) else {
            throw .postgresNotInstalled(searched: "\(searchRoot)/*/bin", package: "postgresql")
        }
        return best.1
    }

    /// Runs `tool` from the bin directory; throws ``StoreError/toolFailed(tool:arguments:status:output:)``
    /// on a non-zero exit unless `allowFailure`.
    @discardableResult
    func run(_ tool: String, _ arguments: [String], allowFailure: Bool = false) throws(StoreError)
        -> (status: Int32, output: String)
    {
        let path = binDirectory.appendingPathComponent(tool).path
        return try execute(asPostgresUser ? runuser : path,
                           asPostgresUser ? ["-u", "postgres", "--", path] + arguments : arguments,
                           tool: tool, allowFailure: allowFailure)
    }

    /// Whether the `postgres` user can get to `path` (every parent searchable).
    func postgresUserCanReach(_ path: String) -> Bool {
        guard asPostgresUser else { return true }
        let status = try? execute(runuser, ["-u", "postgres", "--", "/usr/bin/test", "-x", path], tool: "runuser",
                                  allowFailure: true).status
        return status == 0
    }

    /// A directory that only root and `postgres` can write and that `postgres` can
    /// reach: its home directory, if it is one owned by either and writable by no
    /// one else. Clusters for data directories that `postgres` cannot reach live
    /// under it, so nobody else can plant files or links on their path.
    func privateHome() throws(StoreError) -> String {
        guard let home = postgresHome, home.hasPrefix("/") else {
            throw .fileSystem(path: "~postgres", reason: "the postgres user has no home directory to keep the cluster in")
        }
        var info = stat()
        guard lstat(home, &info) == 0 else {
            throw .fileSystem(path: home, reason: "the postgres user's home directory, needed for the cluster, cannot be read: "
                + String(cString: strerror(errno)))
        }
        let isDirectory = info.st_mode & S_IFMT == S_IFDIR
        let trustedOwner = info.st_uid == postgresUID || info.st_uid == 0
        guard isDirectory, trustedOwner, info.st_mode & (S_IWGRP | S_IWOTH) == 0 else {
            throw .fileSystem(
                path: home,
                reason: "expected the postgres user's home to be a directory owned by postgres or root and writable by no one else "
                    + "(mode \(String(info.st_mode & 0o7777, radix: 8)), owner uid \(info.st_uid)); the cluster will not be kept there")
        }
        guard postgresUserCanReach(home) else {
            throw .fileSystem(path: home, reason: "the postgres user cannot reach its own home directory")
        }
        return home
    }

    /// Creates `path` (mode 0700) if needed and, as root, hands it to `postgres`.
    func makeOwnedDirectory(_ path: String) throws(StoreError) {
        do {
            try FileManager.default.createDirectory(
                atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw .fileSystem(path: path, reason: "cannot create: \(error.localizedDescription)")
        }
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw .fileSystem(path: path, reason: "cannot stat: \(String(cString: strerror(errno)))")
        }
        guard asPostgresUser, info.st_uid != postgresUID else { return }
        // A cluster made by another user (or an earlier root run without the hand-over).
        var paths = [path]
        if let walker = FileManager.default.enumerator(atPath: path) {
            while let next = walker.nextObject() as? String { paths.append(path + "/" + next) }
        }
        for item in paths where lchown(item, postgresUID, postgresGID) != 0 {
            throw .fileSystem(path: item, reason: "cannot hand to the postgres user: \(String(cString: strerror(errno)))")
        }
        chmod(path, 0o700)
    }

    private func execute(_ executable: String, _ arguments: [String], tool: String, allowFailure: Bool)
        throws(StoreError) -> (status: Int32, output: String)
    {
        let logPath = NSTemporaryDirectory() + "reel-\(tool)-\(UUID().uuidString).log"
        defer { unlink(logPath) }
        var environment = ProcessInfo.processInfo.environment
        for key in ["PGDATA", "PGHOST", "PGPORT", "PGUSER", "PGDATABASE", "PGOPTIONS"] { environment[key] = nil }
        environment["LC_ALL"] = "C"
        // The postgres user may not be allowed into this process's working directory,
        // so the command starts from /.
        let status = try Self.spawn(
            "/bin/sh", ["-c", #"cd / && exec "$0" "$@""#, executable] + arguments,
            environment: environment, log: logPath, tool: tool)
        let output = ((try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "")
            .trimmingCharacters(in: .whitespacesAndNewlines)
        if status != 0 && !allowFailure {
            throw .toolFailed(tool: tool, arguments: arguments, status: status, output: String(output.suffix(2000)))
        }
        return (status, output)
    }

    /// Runs a command with stdin from /dev/null and stdout and stderr into `log`, and
    /// waits for it; returns its exit status (128 + the signal if killed).
    ///
    /// Not Foundation's `Process`: on Linux it learns that a child ended when a
    /// socket the child inherited closes, and the server `pg_ctl start` leaves
    /// running inherits it too, so waiting would last as long as the server.
    private static func spawn(
        _ executable: String, _ arguments: [String], environment: [String: String], log: String, tool: String
    ) throws(StoreError) -> Int32 {
        #if os(Linux)
        var actions = posix_spawn_file_actions_t()
        #else
        var actions: posix_spawn_file_actions_t?
        #endif
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid = pid_t()
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, envp)
        guard spawned == 0 else {
            throw .toolFailed(
                tool: tool, arguments: arguments, status: -1,
                output: "cannot start \(executable): \(String(cString: strerror(spawned)))")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else {
                throw .toolFailed(
                    tool: tool, arguments: arguments, status: -1,
                    output: "waiting for \(executable) failed: \(String(cString: strerror(errno)))")
            }
        }
        // WIFEXITED/WEXITSTATUS are C macros Swift does not import.
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }
}
