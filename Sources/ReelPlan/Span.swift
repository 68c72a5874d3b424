/// A run of consecutive positions on one axis of the latent: a window's frames, or a
/// tile's rows or columns.
///
/// On a cyclic axis (loop mode's time axis) a span may run past the end and wrap to
/// the start: `start 38, length 6` on 41 frames is frames `[38, 41) ∪ [0, 3)`, and
/// `end` is 44 — still exclusive, to be read modulo ``axisLength``.
public struct Span: Hashable, Sendable, Codable {
    /// First position, in `0..<axisLength`.
    public let start: Int
    /// Positions covered, in `1...axisLength`.
    public let length: Int
    /// Positions on the axis (F_lat, H_lat or W_lat).
    public let axisLength: Int
    /// Whether the span may wrap past the end of the axis.
    public let isCyclic: Bool

    /// A span; on a non-cyclic axis it must end within the axis.
    public init(start: Int, length: Int, axisLength: Int, isCyclic: Bool = false) {
        precondition(axisLength >= 1 && length >= 1 && length <= axisLength, "span longer than its axis")
        precondition(start >= 0 && start < axisLength, "span start outside its axis")
        precondition(isCyclic || start + length <= axisLength, "non-cyclic span past the end")
        self.start = start
        self.length = length
        self.axisLength = axisLength
        self.isCyclic = isCyclic
    }

    /// The whole axis.
    public static func whole(_ axisLength: Int, isCyclic: Bool = false) -> Span {
        Span(start: 0, length: axisLength, axisLength: axisLength, isCyclic: isCyclic)
    }

    /// Exclusive end; exceeds ``axisLength`` when the span wraps.
    public var end: Int { start + length }

    /// Whether the span runs past the end of the axis back to its start.
    public var wraps: Bool { end > axisLength }

    /// The positions covered, in span order (wrapped positions come last).
    public var indices: [Int] { (0..<length).map(position(at:)) }

    /// The axis position of local offset `offset` (`0..<length`).
    @inlinable
    public func position(at offset: Int) -> Int {
        let p = start + offset
        return p >= axisLength ? p - axisLength : p
    }

    /// The local offset of axis position `position`, or nil if the span does not cover it.
    @inlinable
    public func offset(of position: Int) -> Int? {
        guard position >= 0 && position < axisLength else { return nil }
        var d = position - start
        if d < 0 { d += axisLength }
        return d < length ? d : nil
    }

    /// Whether the span covers `position`.
    public func contains(_ position: Int) -> Bool { offset(of: position) != nil }

    /// Whether the two spans (on the same axis) share a position.
    public func overlaps(_ other: Span) -> Bool {
        // Either span's start lies inside the other exactly when they intersect,
        // on a line and on a circle alike.
        contains(other.start) || other.contains(start)
    }

    /// Positions shared with `other` as (offset in self, offset in other) pairs,
    /// in self's order.
    public func intersection(with other: Span) -> [(own: Int, other: Int)] {
        var pairs: [(own: Int, other: Int)] = []
        for offset in 0..<length {
            if let o = other.offset(of: position(at: offset)) { pairs.append((offset, o)) }
        }
        return pairs
    }
}

extension Span: CustomStringConvertible {
    /// `[16, 37)`, or `[38, 44) = [38, 41) ∪ [0, 3)` when it wraps.
    public var description: String {
        wraps
            ? "[\(start), \(end)) = [\(start), \(axisLength)) ∪ [0, \(end - axisLength))"
            : "[\(start), \(end))"
    }
}
