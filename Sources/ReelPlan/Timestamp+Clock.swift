import Foundation

extension Timestamp {
    /// The wall clock now. The event loops read it once per event and pass it to
    /// the state machines, which never read a clock themselves.
    public static var now: Timestamp {
        Timestamp(milliseconds: Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)))
    }
}

extension Duration {
    /// Whole milliseconds (truncated).
    public var milliseconds: Int64 { components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000 }

    /// Seconds as a real number.
    public var realSeconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
