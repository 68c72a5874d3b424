extension Span {
    /// For each span, the indices of the spans it overlaps (itself included),
    /// ascending.
    ///
    /// The spans must be in order of their starts, as
    /// ``layout(axisLength:size:overlap:cyclic:quantum:)`` makes them. Two spans
    /// overlap exactly when one contains the other's start (see ``overlaps(_:)``).
    /// Walking forward from span i (on a circle, past the end and round to the
    /// start), the other starts lie ever further ahead of i's, so those that i
    /// contains come first and the walk stops at the first it does not. Every pair
    /// is found from the span that holds the other's start and recorded both ways,
    /// so the cost is the spans plus the pairs, not the square of the spans.
    public static func overlapLists(_ spans: [Span]) -> [[Int]] {
        let n = spans.count
        var lists = (0..<n).map { [$0] }
        for i in 0..<n {
            for step in 1..<max(n, 1) {
                let j = i + step
                if j >= n && !spans[i].isCyclic { break }
                let k = j % n
                guard spans[i].contains(spans[k].start) else { break }
                lists[i].append(k)
                lists[k].append(i)
            }
        }
        // On a circle two long spans may each hold the other's start: one pair, found twice.
        return lists.map { Array(Set($0)).sorted() }
    }
}
