import CPostgres

/// One libpq connection.
///
/// Not thread-safe, by design: a libpq connection runs one statement at a time, so
/// use each connection from one thread (or one actor) at a time and give concurrent
/// tasks their own connections. Every statement goes through `PQexecParams` with
/// its values as separate parameters, never spliced into the SQL.
///
/// If the server drops the connection (a restart), the statement that finds out
/// fails with ``StoreError/connectionLost(statement:reason:)``, and the next one
/// outside a transaction reconnects first (and runs ``onReconnect``). Nothing is
/// retried automatically: the lost statement may or may not have committed.
public final class PostgresConnection {
    /// Where this connection goes (print it freely: its description hides the password).
    public let url: PostgresURL
    /// Runs on each new session after a reconnect, before the statement that
    /// reconnected, to restore what the old session held (a session lock). If it
    /// throws, the connection closes and the statement fails with its error.
    public var onReconnect: ((PostgresConnection) throws(StoreError) -> Void)?
    /// Told how long each statement took on the server and the wire (failed ones
    /// too), for the coordinator's `reel_db_statement_duration_seconds`. Called on
    /// the thread that ran the statement, so it must be cheap and must not block.
    public var onStatement: (@Sendable (Duration) -> Void)?
    private var handle: OpaquePointer?
    private var transactionDepth = 0

    /// Whether a transaction (``transaction(_:)``) is open on this connection.
    var inTransaction: Bool { transactionDepth > 0 }

    /// Connects to `url`: a `postgres://` URL or a libpq keyword string.
    public convenience init(url: String) throws(StoreError) {
        try self.init(url: PostgresURL(url))
    }

    /// Connects to `url`.
    public init(url: PostgresURL) throws(StoreError) {
        self.url = url
        guard let handle = PQconnectdb(url.connectionString) else {
            throw .connectionFailed(url: url.redacted, reason: "libpq could not allocate a connection")
        }
        guard PQstatus(handle) == CONNECTION_OK else {
            let reason = url.scrubPassword(Self.errorMessage(handle))
            PQfinish(handle)
            throw .connectionFailed(url: url.redacted, reason: reason)
        }
        // Notices ("relation already exists, skipping") would otherwise go to stderr.
        PQsetNoticeProcessor(handle, { _, _ in }, nil)
        self.handle = handle
    }

    deinit { close() }

    /// Closes the connection; later statements throw ``StoreError/connectionLost(statement:reason:)``.
    public func close() {
        if let handle { PQfinish(handle) }
        handle = nil
    }

    /// Runs one statement with `$1 … $n` bound to `parameters` and returns its rows.
    ///
    /// `name` labels the statement in errors (default: the start of the SQL). Server
    /// errors become ``StoreError/server(statement:sqlState:message:detail:constraint:)``.
    @discardableResult
    public func execute(_ sql: String, _ parameters: [PostgresValue] = [], name: String? = nil) throws(StoreError)
        -> PostgresRows
    {
        let statement = name ?? Self.summary(of: sql)
        guard let handle else { throw .connectionLost(statement: statement, reason: "the connection is closed") }
        if PQstatus(handle) != CONNECTION_OK && transactionDepth == 0 {
            PQreset(handle)
            if PQstatus(handle) == CONNECTION_OK, let onReconnect {
                // Going on without what the hook restores could be unsafe (two
                // coordinators dispatching): without it, no statement runs at all.
                do throws(StoreError) { try onReconnect(self) } catch {
                    close()
                    throw error
                }
            }
        }

        let wires = parameters.map(\.wire)
        for (index, wire) in wires.enumerated() where wire?.binary == false && wire?.bytes.contains(0) == true {
            throw .invalidArgument("\(statement): parameter $\(index + 1) contains a NUL character, which PostgreSQL text cannot hold")
        }
        let buffers: [UnsafeMutablePointer<CChar>?] = wires.map { wire in
            guard let wire else { return nil }
            let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: wire.bytes.count + 1)
            wire.bytes.withUnsafeBytes { UnsafeMutableRawPointer(buffer).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            buffer[wire.bytes.count] = 0
            return buffer
        }
        defer { buffers.forEach { $0?.deallocate() } }
        let values = buffers.map { UnsafePointer($0) }
        let types = parameters.map(\.typeOID)
        let lengths = wires.map { Int32($0?.bytes.count ?? 0) }
        let formats = wires.map { Int32($0?.binary == true ? 1 : 0) }

        let started = ContinuousClock.now
        let executed = PQexecParams(handle, sql, Int32(parameters.count), types, values, lengths, formats, 0)
        onStatement?(ContinuousClock.now - started)
        guard let result = executed else {
            throw .connectionLost(statement: statement, reason: url.scrubPassword(Self.errorMessage(handle)))
        }
        defer { PQclear(result) }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK:
            return Self.rows(of: result, statement: statement)
        default:
            func field(_ code: Character) -> String? {
                PQresultErrorField(result, Int32(code.asciiValue!)).map { String(cString: $0) }
            }
            guard let sqlState = field("C") else {
                throw .connectionLost(statement: statement, reason: url.scrubPassword(Self.errorMessage(handle)))
            }
            throw .server(
                statement: statement, sqlState: sqlState, message: field("M") ?? "unknown error",
                detail: field("D"), constraint: field("n"))
        }
    }

    /// Runs `body` in a transaction: COMMIT if it returns, ROLLBACK if it throws.
    /// Nested calls use savepoints, so an inner failure undoes only the inner part.
    public func transaction<R>(_ body: () throws(StoreError) -> R) throws(StoreError) -> R {
        let savepoint = transactionDepth == 0 ? nil : "reel_savepoint_\(transactionDepth)"
        try execute(savepoint.map { "SAVEPOINT \($0)" } ?? "BEGIN", name: "begin transaction")
        transactionDepth += 1
        let value: R
        do {
            value = try body()
        } catch {
            transactionDepth -= 1
            rollback(to: savepoint)
            throw error
        }
        transactionDepth -= 1
        do {
            try execute(savepoint.map { "RELEASE SAVEPOINT \($0)" } ?? "COMMIT", name: "commit transaction")
        } catch {
            rollback(to: savepoint)
            throw error
        }
        return value
    }

    private func rollback(to savepoint: String?) {
        // The original error is what the caller needs; a failed rollback (broken
        // connection) leaves the server to abort the transaction itself.
        _ = try? execute(savepoint.map { "ROLLBACK TO SAVEPOINT \($0)" } ?? "ROLLBACK", name: "rollback")
    }

    private static func rows(of result: OpaquePointer, statement: String) -> PostgresRows {
        let rowCount = Int(PQntuples(result))
        let columnCount = Int(PQnfields(result))
        let columns = (0..<columnCount).map { String(cString: PQfname(result, Int32($0))) }
        let values = (0..<rowCount).map { row in
            (0..<columnCount).map { column -> String? in
                PQgetisnull(result, Int32(row), Int32(column)) == 1
                    ? nil : String(cString: PQgetvalue(result, Int32(row), Int32(column)))
            }
        }
        let affected = Int(String(cString: PQcmdTuples(result))) ?? rowCount
        return PostgresRows(columns: columns, values: values, affectedRows: affected, statement: statement)
    }

    private static func errorMessage(_ handle: OpaquePointer) -> String {
        String(cString: PQerrorMessage(handle)).split(whereSeparator: \.isNewline).joined(separator: "; ")
    }

    /// The first words of a statement, for errors when the caller gave it no name.
    static func summary(of sql: String) -> String {
        let words = sql.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
        return words.count <= 60 ? words : String(words.prefix(60)) + "…"
    }
}
