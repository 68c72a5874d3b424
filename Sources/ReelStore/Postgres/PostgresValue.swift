/// A statement parameter. Values always travel separately from the SQL text
/// (`PQexecParams`), so no value can change what a statement does.
public enum PostgresValue: Sendable, Hashable {
    /// SQL NULL.
    case null
    /// A string. Sent with an unspecified type so the server reads it as the column
    /// or cast it meets: text, an enum label (`'ready'`), a timestamp, …
    case text(String)
    /// A `bigint` (`int8`); the server widens or narrows it to the column's integer type.
    case int64(Int64)
    /// A `double precision` (`float8`).
    case double(Double)
    /// A `boolean`.
    case bool(Bool)
    /// Raw bytes for a `bytea` column, sent in binary.
    case bytea([UInt8])
    /// A JSON document for a `jsonb` column (the text is validated by the server).
    case json(String)

    /// An `Int` as `bigint`.
    public static func int(_ value: Int) -> PostgresValue { .int64(Int64(value)) }

    /// `.text(value)`, or `.null` for `nil`.
    public static func optional(_ value: String?) -> PostgresValue { value.map { .text($0) } ?? .null }

    /// `.int64(value)`, or `.null` for `nil`.
    public static func optional(_ value: Int64?) -> PostgresValue { value.map { .int64($0) } ?? .null }

    /// The type OID libpq sends: 0 lets the server infer it from context.
    var typeOID: UInt32 {
        switch self {
        case .null, .text: return 0
        case .int64: return 20
        case .double: return 701
        case .bool: return 16
        case .bytea: return 17
        case .json: return 3802
        }
    }

    /// The wire form: text for everything but bytea (binary, format 1); `nil` is NULL.
    var wire: (bytes: [UInt8], binary: Bool)? {
        switch self {
        case .null: return nil
        case .text(let s), .json(let s): return (Array(s.utf8), false)
        case .int64(let v): return (Array(String(v).utf8), false)
        // Round-trip precision; the server accepts `Infinity`/`NaN` spelled this way.
        case .double(let v):
            let text = v.isNaN ? "NaN" : v.isInfinite ? (v < 0 ? "-Infinity" : "Infinity") : "\(v)"
            return (Array(text.utf8), false)
        case .bool(let v): return (Array((v ? "t" : "f").utf8), false)
        case .bytea(let bytes): return (bytes, true)
        }
    }
}
