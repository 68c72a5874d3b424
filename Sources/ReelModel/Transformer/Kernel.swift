import ReelTensor

/// Runs tensor kernels inside model code, turning their shape errors into
/// ``ModelError`` so one error type crosses the model API.
@inline(__always)
func kernel<T>(_ body: () throws(TensorError) -> T) throws(ModelError) -> T {
    do { return try body() } catch { throw .tensor(error) }
}

extension Tensor {
    /// Rows `range` of an `(N, D)` tensor, as a copy.
    func rows(_ range: Range<Int>) -> Tensor {
        let d = shape[1]
        return try! Tensor(shape: [range.count, d], storage: Array(storage[range.lowerBound * d ..< range.upperBound * d]))
    }

    /// Overwrites rows starting at `start` with `block`.
    mutating func setRows(_ start: Int, _ block: Tensor) {
        let d = shape[1]
        storage.replaceSubrange(start * d ..< start * d + block.count, with: block.storage)
    }
}
