import ReelPlan

/// A Swift type a column's text-format value converts to (see ``PostgresRow/get(_:as:)``).
public protocol PostgresDecodable {
    /// What the value should look like, for errors (`a bigint`, `a shard state`).
    static var postgresTypeDescription: String { get }
    /// Parses PostgreSQL's text output; `nil` if it is not a valid value.
    init?(postgresText: String)
    /// The value SQL NULL maps to; `nil` (the default) if NULL is an error.
    static var postgresNull: Self? { get }
}

extension PostgresDecodable {
    public static var postgresNull: Self? { nil }
}

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    public static var postgresTypeDescription: String { "\(Wrapped.postgresTypeDescription) or NULL" }
    public init?(postgresText: String) {
        guard let value = Wrapped(postgresText: postgresText) else { return nil }
        self = .some(value)
    }
    public static var postgresNull: Self? { .some(.none) }
}

extension String: PostgresDecodable {
    public static var postgresTypeDescription: String { "text" }
    public init?(postgresText: String) { self = postgresText }
}

extension Int64: PostgresDecodable {
    public static var postgresTypeDescription: String { "an integer" }
    public init?(postgresText: String) { self.init(postgresText, radix: 10) }
}

extension Int: PostgresDecodable {
    public static var postgresTypeDescription: String { "an integer" }
    public init?(postgresText: String) { self.init(postgresText, radix: 10) }
}

extension Double: PostgresDecodable {
    public static var postgresTypeDescription: String { "a double precision number" }
    public init?(postgresText: String) { self.init(postgresText) }
}

extension Bool: PostgresDecodable {
    public static var postgresTypeDescription: String { "a boolean (t or f)" }
    public init?(postgresText: String) {
        switch postgresText {
        case "t": self = true
        case "f": self = false
        default: return nil
        }
    }
}

extension Array: PostgresDecodable where Element == UInt8 {
    public static var postgresTypeDescription: String { "bytea in hex format (\\x…)" }
    public init?(postgresText: String) {
        let digits = Array(postgresText.utf8)
        guard digits.count % 2 == 0, digits.starts(with: [92, 120]) else { return nil }  // "\x"
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case 48...57: return c - 48
            case 97...102: return c - 87
            case 65...70: return c - 55
            default: return nil
            }
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2 - 1)
        var i = 2
        while i < digits.count {
            guard let hi = nibble(digits[i]), let lo = nibble(digits[i + 1]) else { return nil }
            bytes.append(hi << 4 | lo)
            i += 2
        }
        self = bytes
    }
}

extension Timestamp: PostgresDecodable {
    public static var postgresTypeDescription: String { "milliseconds since the epoch (bigint)" }
    public init?(postgresText: String) {
        guard let ms = Int64(postgresText, radix: 10) else { return nil }
        self.init(milliseconds: ms)
    }
}

extension JobState.Name: PostgresDecodable {
    public static var postgresTypeDescription: String { "a reel_job_state label" }
    public init?(postgresText: String) { self.init(rawValue: postgresText) }
}

extension ShardState.Name: PostgresDecodable {
    public static var postgresTypeDescription: String { "a reel_shard_state label" }
    public init?(postgresText: String) { self.init(rawValue: postgresText) }
}
