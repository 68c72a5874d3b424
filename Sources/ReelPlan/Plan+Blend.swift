/// MultiDiffusion blending: the value at each latent position is `Σ wᵢ·xᵢ / Σ wᵢ`
/// over the regions covering it, with separable trapezoid weights
/// (``AxisWeights``) along time, rows and columns.
extension Plan {
    /// The axis weights of region `r`: (frames, rows, columns).
    func axisWeights(of r: Int) -> (frames: [Double], rows: [Double], columns: [Double]) {
        let region = regions[r]
        let row = region.tile / tileColumns.count
        let column = region.tile % tileColumns.count
        return (frameWeights.weights[region.window], rowWeights.weights[row], columnWeights.weights[column])
    }

    /// Region `r`'s blend weight at each of its positions, laid out `[t, y, x]`
    /// (no channel axis: every channel shares the weight).
    public func weights(region r: Int) -> [Double] {
        let w = axisWeights(of: r)
        return Self.outer(w.frames, w.rows, w.columns)
    }

    /// Region `r`'s weights divided by the total weight of all regions at each
    /// position, `[t, y, x]`. Summed over the regions covering a position they give 1.
    public func normalizedWeights(region r: Int) -> [Double] {
        let region = regions[r]
        let row = region.tile / tileColumns.count
        let column = region.tile % tileColumns.count
        // The totals factor per axis because the weights do and tiles form a grid.
        return Self.outer(
            frameWeights.normalized(span: region.window), rowWeights.normalized(span: row),
            columnWeights.normalized(span: column))
    }

    /// Blends region outputs over `box`: `Σ wᵢ·xᵢ / Σ wᵢ` at each position of the
    /// box, over every region that overlaps it.
    ///
    /// - Parameters:
    ///   - outputs: region index → that region's latent, laid out `[C, t, y, x]`
    ///     over its box (``LatentBox``). Regions that do not overlap `box` are ignored.
    ///   - box: the target: a region's box (a shard's input) or ``clipBox`` (the
    ///     finished latent). It must lie on this plan's latent axes.
    /// - Returns: the blended latent over `box`, laid out `[C, t, y, x]`.
    /// - Throws: ``PlanError/missingOutput(region:)`` if an overlapping region's output
    ///   is absent, ``PlanError/wrongOutputLength(region:count:expected:)`` if one has
    ///   the wrong size.
    public func blend(outputs: [Int: [Float]], into box: LatentBox) throws(PlanError) -> [Float] {
        precondition(
            box.channels == latent.channels && box.frames.axisLength == latent.frames
                && box.rows.axisLength == latent.height && box.columns.axisLength == latent.width,
            "blend target is not a box of this plan's latent")
        var sources: [(Region, [Float])] = []
        for region in regions where region.box.overlaps(box) {
            guard let values = outputs[region.index] else { throw .missingOutput(region: region.index) }
            guard values.count == region.box.count else {
                throw .wrongOutputLength(region: region.index, count: values.count, expected: region.box.count)
            }
            sources.append((region, values))
        }
        var sum = [Double](repeating: 0, count: box.count)
        var total = [Double](repeating: 0, count: box.positions)
        for (region, values) in sources {
            let w = axisWeights(of: region.index)
            let frames = box.frames.intersection(with: region.box.frames)
            let rows = box.rows.intersection(with: region.box.rows)
            let columns = box.columns.intersection(with: region.box.columns)
            for c in 0..<box.channels {
                for (tb, tr) in frames {
                    for (yb, yr) in rows {
                        let wty = w.frames[tr] * w.rows[yr]
                        let target = box.localIndex(channel: c, frame: tb, row: yb, column: 0)
                        let source = region.box.localIndex(channel: c, frame: tr, row: yr, column: 0)
                        for (xb, xr) in columns {
                            let weight = wty * w.columns[xr]
                            sum[target + xb] += weight * Double(values[source + xr])
                            if c == 0 { total[target + xb] += weight }
                        }
                    }
                }
            }
        }
        // Regions cover the clip and weights are positive, so no total is 0.
        let positions = box.positions
        return sum.indices.map { Float(sum[$0] / total[$0 % positions]) }
    }

    /// The outer product `a ⊗ b ⊗ c`, C order.
    static func outer(_ a: [Double], _ b: [Double], _ c: [Double]) -> [Double] {
        var result: [Double] = []
        result.reserveCapacity(a.count * b.count * c.count)
        for x in a { for y in b { for z in c { result.append(x * y * z) } } }
        return result
    }
}
