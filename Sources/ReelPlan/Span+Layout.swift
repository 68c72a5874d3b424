extension Span {
    /// Cuts an axis into overlapping spans of `size` positions.
    ///
    /// - Line (`cyclic == false`): spans start every `size − overlap` positions and
    ///   the last one is moved back to end exactly at the axis end, so there is no
    ///   short remnant; its overlap with the one before is then at least `overlap`.
    /// - Circle (`cyclic == true`, loop mode): `n = ⌈axisLength / (size − overlap)⌉`
    ///   spans start at `⌊k · axisLength / n⌋` (in units of `quantum`), so the strides
    ///   differ by at most one quantum and never exceed `size − overlap`: every
    ///   overlap, including the last span's wrap onto the first, is at least
    ///   `overlap`, and all are equal when `n` divides the axis.
    /// - A `size` of at least the axis length gives one span over the whole axis
    ///   (clamped, not an error). In loop mode that span does not wrap, so blending
    ///   cannot smooth the loop point; the single window sees the whole cycle.
    ///
    /// Callers validate first: `size ≥ 1`, `0 ≤ overlap < size`, and `size`,
    /// `overlap` and `axisLength` multiples of `quantum`.
    public static func layout(
        axisLength: Int, size: Int, overlap: Int, cyclic: Bool = false, quantum: Int = 1
    ) -> [Span] {
        precondition(quantum >= 1, "validate before layout")
        let count = layoutCount(axisLength: axisLength, size: size, overlap: overlap, cyclic: cyclic)
        if size >= axisLength { return [.whole(axisLength, isCyclic: cyclic)] }
        let stride = size - overlap
        if cyclic {
            let units = axisLength / quantum
            return (0..<count).map { k in
                Span(start: (k * units / count) * quantum, length: size, axisLength: axisLength, isCyclic: true)
            }
        }
        return (0..<count).map { k in
            let start = k == count - 1 ? axisLength - size : k * stride
            return Span(start: start, length: size, axisLength: axisLength)
        }
    }

    /// How many spans ``layout(axisLength:size:overlap:cyclic:quantum:)`` makes, in
    /// constant time: admission control counts a job's windows and tiles with it
    /// before anything is laid out.
    public static func layoutCount(axisLength: Int, size: Int, overlap: Int, cyclic: Bool = false) -> Int {
        precondition(size >= 1 && overlap >= 0 && overlap < size, "validate before layout")
        if size >= axisLength { return 1 }
        let stride = size - overlap
        return cyclic ? (axisLength + stride - 1) / stride : (axisLength - size + stride - 1) / stride + 1
    }
}
