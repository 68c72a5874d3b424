/// First-axis slicing and concatenation, and axis permutation — the bookkeeping
/// of video tensors `(T, H, W, C)` that a causal decoder cuts and joins frame by frame.
extension Tensor {
    /// Entries `range` along the first axis, as a copy.
    public func frames(_ range: Range<Int>) -> Tensor {
        precondition(rank >= 1 && range.lowerBound >= 0 && range.upperBound <= shape[0], "frames \(range) out of \(shape)")
        let n = shape.dropFirst().reduce(1, *)
        return Tensor(uncheckedShape: [range.count] + shape.dropFirst(), storage: Array(storage[range.lowerBound * n ..< range.upperBound * n]))
    }

    /// The last `count` entries along the first axis (all of them when there are fewer).
    public func lastFrames(_ count: Int) -> Tensor {
        frames(max(0, shape[0] - count) ..< shape[0])
    }

    /// Joins tensors along the first axis; all other extents must agree.
    public static func concatenate(_ parts: [Tensor]) throws(TensorError) -> Tensor {
        guard let first = parts.first else { throw .invalidArgument("cannot concatenate zero tensors") }
        let inner = Array(first.shape.dropFirst())
        var storage = [Float]()
        storage.reserveCapacity(parts.reduce(0) { $0 + $1.count })
        var leading = 0
        for (i, part) in parts.enumerated() {
            guard part.rank == first.rank, Array(part.shape.dropFirst()) == inner else {
                throw .shapeMismatch(what: "concatenated tensor \(i)", expected: [part.shape.first ?? 0] + inner, actual: part.shape)
            }
            storage.append(contentsOf: part.storage)
            leading += part.shape[0]
        }
        return Tensor(uncheckedShape: [leading] + inner, storage: storage)
    }

    /// The transpose of a matrix `(R, C)` → `(C, R)`, in 32×32 tiles spread over
    /// threads: what models do to every linear weight on load, so it must not
    /// cost a strided pass per element over gigabytes (``permuted(_:)`` does).
    public func transposed() throws(TensorError) -> Tensor {
        guard rank == 2 else { throw .invalidArgument("transpose needs a matrix, got \(shape)") }
        let (rows, columns) = (shape[0], shape[1])
        var out = Tensor.uninitialized([columns, rows])
        guard count > 0 else { return out }
        let tile = 32
        storage.withUnsafeBufferPointer { src in
            out.storage.withUnsafeMutableBufferPointer { dst in
                let box = UncheckedSendable((src.baseAddress!, dst.baseAddress!))
                // A task is a band of `tile` source columns, i.e. output rows: disjoint writes.
                Parallel.forRanges((columns + tile - 1) / tile) { bands in
                    let (s, d) = box.value
                    for band in bands {
                        let c0 = band * tile, c1 = min(columns, c0 + tile)
                        var r0 = 0
                        while r0 < rows {
                            let r1 = min(rows, r0 + tile)
                            for c in c0 ..< c1 {
                                for r in r0 ..< r1 { d[c * rows + r] = s[r * columns + c] }
                            }
                            r0 = r1
                        }
                    }
                }
            }
        }
        return out
    }

    /// The tensor with its axes reordered: axis `i` of the result is axis `axes[i]` of `self`
    /// (as `torch.permute`).
    public func permuted(_ axes: [Int]) throws(TensorError) -> Tensor {
        guard axes.sorted() == Array(0 ..< rank) else {
            throw .invalidArgument("permutation \(axes) is not a reordering of the \(rank) axes of \(shape)")
        }
        var strides = [Int](repeating: 1, count: rank)
        for i in stride(from: rank - 2, through: 0, by: -1) { strides[i] = strides[i + 1] * shape[i + 1] }
        let outShape = axes.map { shape[$0] }, sourceStride = axes.map { strides[$0] }
        var out = Tensor.uninitialized(outShape)
        guard count > 0 else { return out }
        let last = rank - 1, inner = outShape[last], innerStride = sourceStride[last]
        storage.withUnsafeBufferPointer { src in
            out.storage.withUnsafeMutableBufferPointer { dst in
                // An odometer over all but the last output axis; the last is a strided copy.
                var index = [Int](repeating: 0, count: rank)
                var offset = 0, o = 0
                while o < dst.count {
                    for j in 0 ..< inner { dst[o + j] = src[offset + j * innerStride] }
                    o += inner
                    var axis = last - 1
                    while axis >= 0 {
                        index[axis] += 1
                        offset += sourceStride[axis]
                        if index[axis] < outShape[axis] { break }
                        offset -= sourceStride[axis] * outShape[axis]
                        index[axis] = 0
                        axis -= 1
                    }
                }
            }
        }
        return out
    }
}
