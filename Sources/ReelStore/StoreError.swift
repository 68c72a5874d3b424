/// Everything that can go wrong in ReelStore, each case naming what it was working on
/// (the statement, the column, the migration, the file) so a log line is actionable
/// on its own. Every throwing API in ReelStore throws only `StoreError`.
///
/// No case ever holds a connection password: URLs are stored redacted
/// (``PostgresURL/redacted``).
public enum StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A connection string libpq cannot parse.
    case invalidURL(String, reason: String)
    /// The server could not be reached or refused the connection.
    case connectionFailed(url: String, reason: String)
    /// The server rejected a statement. `sqlState` is the five-character SQLSTATE
    /// (`23514` for a CHECK violation), `constraint` the violated constraint if any.
    case server(statement: String, sqlState: String, message: String, detail: String?, constraint: String?)
    /// The connection broke or libpq failed without a server error.
    case connectionLost(statement: String, reason: String)
    /// A result has no column of that name.
    case missingColumn(String, statement: String, available: [String])
    /// A column's value is NULL or does not parse as the type asked for.
    case badValue(column: String, expected: String, found: String?)
    /// A statement that must return a row returned none.
    case noRow(statement: String)
    /// An argument outside what the operation accepts (a negative limit, an unknown shard).
    case invalidArgument(String)
    /// An applied migration's SQL differs from the code's: migrations are append-only.
    case migrationChanged(version: Int, name: String, applied: String, code: String)
    /// The database has a migration this code does not know (it is older than the schema).
    case databaseNewer(version: Int, newestKnown: Int)
    /// The migration list itself is malformed (duplicate or non-increasing versions).
    case invalidMigrations(String)
    /// No PostgreSQL server binaries (initdb, pg_ctl) were found.
    case postgresNotInstalled(searched: String, package: String)
    /// A PostgreSQL tool (initdb, pg_ctl, runuser) failed; `output` is its log tail.
    case toolFailed(tool: String, arguments: [String], status: Int32, output: String)
    /// A file or directory operation of the embedded cluster or the blob store failed.
    case fileSystem(path: String, reason: String)
    /// A blob key that is not a lowercase 64-digit SHA-256 hex digest.
    case invalidBlobKey(String)
    /// No blob is stored under this key.
    case blobNotFound(sha256: String, path: String)
    /// A stored blob's content no longer hashes to its key.
    case blobCorrupt(path: String, expected: String, actual: String)
    /// Another process (pid if it wrote one) holds the data directory's lock: a
    /// coordinator runs on it. Nothing was started or stopped.
    case dataDirectoryInUse(directory: String, pid: Int32?)
    /// Another session holds the coordinator lock on this database (`holder`
    /// describes it as far as it is visible): a coordinator dispatches from it.
    case databaseInUse(url: String, holder: String?)

    /// The SQLSTATE of a server error, `nil` for every other case.
    public var sqlState: String? {
        if case let .server(_, state, _, _, _) = self { return state }
        return nil
    }

    public var description: String {
        switch self {
        case let .invalidURL(url, reason):
            return "invalid PostgreSQL connection string '\(url)': \(reason)"
        case let .connectionFailed(url, reason):
            return "cannot connect to PostgreSQL at \(url): \(reason)"
        case let .server(statement, state, message, detail, constraint):
            var text = "\(statement) failed: \(message) (SQLSTATE \(state)"
            if let constraint { text += ", constraint \(constraint)" }
            text += ")"
            if let detail { text += ": \(detail)" }
            return text
        case let .connectionLost(statement, reason):
            return "\(statement) failed: connection to PostgreSQL lost: \(reason)"
        case let .missingColumn(column, statement, available):
            return "\(statement) returned no column '\(column)' (columns: \(available.joined(separator: ", ")))"
        case let .badValue(column, expected, found):
            return "column '\(column)' holds \(found.map { "'\($0)'" } ?? "NULL"), expected \(expected)"
        case let .noRow(statement):
            return "\(statement) returned no row"
        case let .invalidArgument(message):
            return message
        case let .migrationChanged(version, name, applied, code):
            return "migration \(version) (\(name)) was applied with checksum \(applied) but the code now has "
                + "\(code); migrations are append-only: add a new migration instead of editing an applied one"
        case let .databaseNewer(version, newest):
            return "the database has migration \(version) but this build knows migrations up to \(newest); "
                + "run a newer reel against this database"
        case let .invalidMigrations(message):
            return "invalid migration list: \(message)"
        case let .postgresNotInstalled(searched, package):
            return "PostgreSQL server binaries (initdb, pg_ctl) not found under \(searched); "
                + "install the Debian package '\(package)' (Deploy/install-deps.sh does)"
        case let .toolFailed(tool, arguments, status, output):
            return "\(tool) \(arguments.joined(separator: " ")) exited with status \(status): \(output)"
        case let .fileSystem(path, reason):
            return "'\(path)': \(reason)"
        case let .invalidBlobKey(key):
            return "'\(key)' is not a blob key (64 lowercase hex digits of SHA-256)"
        case let .blobNotFound(sha, path):
            return "no blob \(sha) (expected at '\(path)')"
        case let .blobCorrupt(path, expected, actual):
            return "blob '\(path)' is corrupt: its content hashes to \(actual), not \(expected)"
        case let .dataDirectoryInUse(directory, pid):
            return "the data directory '\(directory)' is in use by another coordinator (\(pid.map { "pid \($0)" } ?? "pid unknown"), "
                + "holding \(directory)/\(DataDirectoryLock.fileName)); nothing was started or stopped: "
                + "stop that coordinator first, or give this one another data directory"
        case let .databaseInUse(url, holder):
            return "another coordinator is dispatching from the PostgreSQL database at \(url) "
                + "(it holds advisory lock \(CoordinatorLock.key)\(holder.map { ": \($0)" } ?? "")); "
                + "stop it first, or give this coordinator its own database"
        }
    }
}
