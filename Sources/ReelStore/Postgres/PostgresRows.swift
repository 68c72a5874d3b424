/// The rows a statement returned, copied out of libpq's result (values in
/// PostgreSQL's text format) so they outlive it and can cross threads.
public struct PostgresRows: Sendable, RandomAccessCollection {
    /// Column names in result order.
    public let columns: [String]
    /// Rows inserted, updated or deleted (`PQcmdTuples`); the row count for a SELECT.
    public let affectedRows: Int
    /// The statement's name, for errors.
    let statement: String
    private let values: [[String?]]

    init(columns: [String], values: [[String?]], affectedRows: Int, statement: String) {
        self.columns = columns
        self.values = values
        self.affectedRows = affectedRows
        self.statement = statement
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { values.count }

    public subscript(position: Int) -> PostgresRow {
        PostgresRow(columns: columns, values: values[position], statement: statement)
    }

    /// The first row; throws ``StoreError/noRow(statement:)`` if there is none.
    public func first() throws(StoreError) -> PostgresRow {
        guard let row = first else { throw .noRow(statement: statement) }
        return row
    }
}

/// One result row. Read columns by name with a type:
/// `let id: Int64 = try row.get("id")`, `let worker: String? = try row.get("worker")`.
public struct PostgresRow: Sendable {
    let columns: [String]
    let values: [String?]
    let statement: String

    /// The column `column` as `T`. Throws ``StoreError/missingColumn(_:statement:available:)``
    /// for an unknown name and ``StoreError/badValue(column:expected:found:)`` naming the
    /// column and `T` for NULL (unless `T` is optional) or text that does not parse.
    public func get<T: PostgresDecodable>(_ column: String, as type: T.Type = T.self) throws(StoreError) -> T {
        guard let index = columns.firstIndex(of: column) else {
            throw .missingColumn(column, statement: statement, available: columns)
        }
        guard let text = values[index] else {
            guard let null = T.postgresNull else {
                throw .badValue(column: column, expected: T.postgresTypeDescription, found: nil)
            }
            return null
        }
        guard let value = T(postgresText: text) else {
            throw .badValue(column: column, expected: T.postgresTypeDescription, found: String(text.prefix(80)))
        }
        return value
    }
}
