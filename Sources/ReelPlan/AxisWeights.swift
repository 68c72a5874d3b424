/// Blend weights along one axis for a set of overlapping spans.
///
/// Each span's weight is 1 except across an overlap with a neighbour, where it
/// ramps linearly from `floor` at the span's edge toward 1 (a trapezoid). Ramps
/// exist only where a neighbour overlaps: at the clip's edge a span keeps weight 1,
/// so the first and last frames are not attenuated. Samples sit at the centres of
/// positions, `(j + ½)/a` along an overlap of length `a`, so two ramps across the
/// same overlap mirror each other and no weight is ever 0.
///
/// Weights of a 3-D region are the product of its three axes' weights, so the
/// per-position totals factor too and normalized weights sum to 1 at every position.
public struct AxisWeights: Hashable, Sendable {
    /// The spans, in layout order (ascending start).
    public let spans: [Span]
    /// The weight at the outer edge of a ramp, in `(0, 1]`.
    public let floor: Double
    /// `weights[k][j]`: weight of span k at its local offset j.
    public let weights: [[Double]]
    /// `totals[p]`: sum of the weights of all spans covering axis position p.
    public let totals: [Double]

    /// - Parameters:
    ///   - spans: spans from ``Span/layout(axisLength:size:overlap:cyclic:quantum:)``,
    ///     all on the same axis and in ascending start order.
    ///   - floor: the ramp's edge weight, in `(0, 1]`.
    public init(spans: [Span], floor: Double) {
        precondition(!spans.isEmpty, "an axis needs at least one span")
        self.spans = spans
        self.floor = floor
        let n = spans.count
        let cyclic = spans[0].isCyclic && n > 1
        var weights: [[Double]] = []
        weights.reserveCapacity(n)
        for (k, span) in spans.enumerated() {
            var leading = 0
            var trailing = 0
            if k > 0 || cyclic { leading = Self.overlap(from: spans[(k + n - 1) % n], onto: span) }
            if k < n - 1 || cyclic { trailing = Self.overlap(from: span, onto: spans[(k + 1) % n]) }
            weights.append(Self.trapezoid(length: span.length, leading: leading, trailing: trailing, floor: floor))
        }
        var totals = [Double](repeating: 0, count: spans[0].axisLength)
        for (k, span) in spans.enumerated() {
            for j in 0..<span.length { totals[span.position(at: j)] += weights[k][j] }
        }
        self.weights = weights
        self.totals = totals
    }

    /// Span k's weights divided by the total at each position: what its output
    /// contributes to the blended value there.
    public func normalized(span k: Int) -> [Double] {
        let span = spans[k]
        return (0..<span.length).map { weights[k][$0] / totals[span.position(at: $0)] }
    }

    /// Positions at the end of `earlier` that `later` also covers, where `later`
    /// starts after `earlier` (cyclically).
    static func overlap(from earlier: Span, onto later: Span) -> Int {
        var gap = later.start - earlier.start
        if gap < 0 { gap += earlier.axisLength }
        return max(0, min(later.length, earlier.length - gap))
    }

    /// Weights for one span: ramps of `leading` and `trailing` positions, 1 between.
    static func trapezoid(length: Int, leading: Int, trailing: Int, floor: Double) -> [Double] {
        (0..<length).map { j in
            var w = 1.0
            if j < leading { w = min(w, floor + (1 - floor) * (Double(j) + 0.5) / Double(leading)) }
            let fromEnd = length - 1 - j
            if fromEnd < trailing { w = min(w, floor + (1 - floor) * (Double(fromEnd) + 0.5) / Double(trailing)) }
            return w
        }
    }
}
