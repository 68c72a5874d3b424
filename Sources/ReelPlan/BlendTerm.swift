/// One region's part in a blend over a target box: which of its frames, rows and
/// columns land where in the target, and with what weight.
struct BlendTerm {
    let region: Region
    /// The region's output, `[C, t, y, x]` over its box.
    let values: UnsafeBufferPointer<Float>
    /// Target frame → the region's frame at the same position, if it covers it.
    let frameOf: [Int?]
    let frameWeights: [Double]
    /// (target row, region row) and the region row's weight, in target order.
    let rows: [(target: Int, own: Int, weight: Double)]
    /// (target column, region column) and the region column's weight, in target order.
    let columnTargets: [Int]
    let columnSources: [Int]
    let columnWeights: [Double]
    /// Columns in the target box (its row stride).
    let targetWidth: Int

    init(region: Region, values: UnsafeBufferPointer<Float>, weights: (frames: [Double], rows: [Double], columns: [Double]), box: LatentBox) {
        self.region = region
        self.values = values
        var frameOf = [Int?](repeating: nil, count: box.frames.length)
        for (tb, tr) in box.frames.intersection(with: region.box.frames) { frameOf[tb] = tr }
        self.frameOf = frameOf
        frameWeights = weights.frames
        rows = box.rows.intersection(with: region.box.rows).map { ($0.own, $0.other, weights.rows[$0.other]) }
        let columns = box.columns.intersection(with: region.box.columns)
        columnTargets = columns.map(\.own)
        columnSources = columns.map(\.other)
        columnWeights = columns.map { weights.columns[$0.other] }
        targetWidth = box.columns.length
    }

    /// Adds this region's weighted values at its frame `tr` to `plane` (a target
    /// `[y, x]` plane), or its weights alone when `values` is nil (the totals).
    /// The arithmetic is the blend's definition, `(w_t·w_y)·w_x · x`, in Double.
    func accumulate(into plane: UnsafeMutablePointer<Double>, frame tr: Int, values: UnsafePointer<Float>?) {
        let regionWidth = region.box.columns.length
        let wt = frameWeights[tr]
        columnTargets.withUnsafeBufferPointer { targets in
            columnSources.withUnsafeBufferPointer { sources in
                columnWeights.withUnsafeBufferPointer { wx in
                    for row in rows {
                        let wty = wt * row.weight
                        let out = plane + row.target * targetWidth
                        if let values {
                            let source = values + row.own * regionWidth
                            for k in 0 ..< targets.count {
                                let weight = wty * wx[k]
                                out[targets[k]] += weight * Double(source[sources[k]])
                            }
                        } else {
                            for k in 0 ..< targets.count { out[targets[k]] += wty * wx[k] }
                        }
                    }
                }
            }
        }
    }
}
