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
        let needed = regions.filter { $0.box.overlaps(box) }.map(\.index)
        for r in needed where outputs[r] == nil { throw .missingOutput(region: r) }
        var failure: PlanError?
        let result = [Float](unsafeUninitializedCapacity: box.count) { buffer, initialized in
            Self.withBuffers(needed.map { ($0, outputs[$0]!) }, [:]) { sources in
                do throws(PlanError) {
                    try blend(sources: sources, into: box, output: buffer)
                    initialized = box.count
                } catch {
                    failure = error
                }
            }
        }
        if let failure { throw failure }
        return result
    }

    /// ``blend(outputs:into:)`` reading the outputs in place and writing `output`
    /// (`box.count` values): the coordinator blends neighbours' outputs straight
    /// from their mapped blobs into the bytes it sends, with no copy of either.
    ///
    /// Each position's sum runs over the regions in plan order, in Double, so the
    /// result is the same bit for bit however the work is laid out; it is laid out
    /// one `[y, x]` plane at a time so the sums need one plane of scratch, not a
    /// Double copy of the box.
    public func blend(
        sources: [Int: UnsafeBufferPointer<Float>], into box: LatentBox, output: UnsafeMutableBufferPointer<Float>
    ) throws(PlanError) {
        precondition(
            box.channels == latent.channels && box.frames.axisLength == latent.frames
                && box.rows.axisLength == latent.height && box.columns.axisLength == latent.width,
            "blend target is not a box of this plan's latent")
        precondition(output.count == box.count, "blend output holds \(output.count) values, the box \(box.count)")
        var terms: [BlendTerm] = []
        for region in regions where region.box.overlaps(box) {
            guard let values = sources[region.index] else { throw .missingOutput(region: region.index) }
            guard values.count == region.box.count else {
                throw .wrongOutputLength(region: region.index, count: values.count, expected: region.box.count)
            }
            terms.append(BlendTerm(region: region, values: values, weights: axisWeights(of: region.index), box: box))
        }
        let frames = box.frames.length, planeSize = box.rows.length * box.columns.length
        // Σ wᵢ per position [t, y, x], accumulated in region order.
        var total = [Double](repeating: 0, count: box.positions)
        total.withUnsafeMutableBufferPointer { total in
            for term in terms {
                for tb in 0 ..< frames {
                    guard let tr = term.frameOf[tb] else { continue }
                    term.accumulate(into: total.baseAddress! + tb * planeSize, frame: tr, values: nil)
                }
            }
        }
        var plane = [Double](repeating: 0, count: planeSize)
        plane.withUnsafeMutableBufferPointer { plane in
            total.withUnsafeBufferPointer { total in
                for c in 0 ..< box.channels {
                    for tb in 0 ..< frames {
                        plane.update(repeating: 0)
                        for term in terms {
                            guard let tr = term.frameOf[tb] else { continue }
                            let source = term.values.baseAddress! + term.region.box.localIndex(channel: c, frame: tr, row: 0, column: 0)
                            term.accumulate(into: plane.baseAddress!, frame: tr, values: source)
                        }
                        // Regions cover the clip and weights are positive, so no total is 0.
                        let out = output.baseAddress! + (c * frames + tb) * planeSize
                        let sums = total.baseAddress! + tb * planeSize
                        for i in 0 ..< planeSize { out[i] = Float(plane[i] / sums[i]) }
                    }
                }
            }
        }
    }

    /// Calls `body` with `arrays` as buffers (each valid only during the call).
    private static func withBuffers<R>(
        _ arrays: ArraySlice<(Int, [Float])>, _ done: [Int: UnsafeBufferPointer<Float>],
        _ body: ([Int: UnsafeBufferPointer<Float>]) -> R
    ) -> R {
        guard let (region, array) = arrays.first else { return body(done) }
        return array.withUnsafeBufferPointer { buffer in
            var done = done
            done[region] = buffer
            return withBuffers(arrays.dropFirst(), done, body)
        }
    }

    private static func withBuffers<R>(
        _ arrays: [(Int, [Float])], _ done: [Int: UnsafeBufferPointer<Float>], _ body: ([Int: UnsafeBufferPointer<Float>]) -> R
    ) -> R {
        withBuffers(arrays[...], done, body)
    }

    /// The outer product `a ⊗ b ⊗ c`, C order.
    static func outer(_ a: [Double], _ b: [Double], _ c: [Double]) -> [Double] {
        var result: [Double] = []
        result.reserveCapacity(a.count * b.count * c.count)
        for x in a { for y in b { for z in c { result.append(x * y * z) } } }
        return result
    }
}
