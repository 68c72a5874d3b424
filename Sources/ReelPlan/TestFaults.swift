/// The **test faults** named in `REEL_TEST_FAULTS`: comma-separated names, some
/// with a number (`hold-from-step:4`). They exist for the farm's tests only; none
/// is a mode of operation, and a flag that turns one on is refused unless this
/// variable names it too.
///
/// One parser for the coordinator, the worker and the CLI, so that `a, b` means
/// the same everywhere (names are trimmed; empty ones are ignored).
public struct TestFaults: Sendable, Equatable {
    /// The environment variable that names the faults.
    public static let environmentKey = "REEL_TEST_FAULTS"

    /// The names as given, trimmed, without empty ones.
    public let names: [String]

    /// The faults in `value` (the variable's value; nil or empty for none).
    public init(_ value: String?) {
        names = (value ?? "").split(separator: ",").map { Self.trimmed($0) }.filter { !$0.isEmpty }
    }

    /// Whether `name` (a fault without a number) is named.
    public func contains(_ name: String) -> Bool { names.contains(name) }

    /// Whether `name` is named with a number (`name:…`), valid or not.
    public func mentions(_ name: String) -> Bool { names.contains { $0.hasPrefix(name + ":") } }

    /// The number in `name:N`, if that fault is named with a whole number ≥ 0.
    public func number(of name: String) -> Int? {
        guard let fault = names.first(where: { $0.hasPrefix(name + ":") }),
            let value = Int(fault.dropFirst(name.count + 1)), value >= 0
        else { return nil }
        return value
    }

    private static func trimmed(_ text: Substring) -> String {
        String(text.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
