/// Row blocks of `(N, D)` tensors, for work done a slice of tokens at a time.
extension Tensor {
    /// Rows `range` of an `(N, D)` tensor, as a copy.
    public func rows(_ range: Range<Int>) -> Tensor {
        let d = shape[1]
        return Tensor(uncheckedShape: [range.count, d], storage: Array(storage[range.lowerBound * d ..< range.upperBound * d]))
    }

    /// Overwrites rows starting at `start` with `block`, an `(n, D)` tensor.
    public mutating func setRows(_ start: Int, _ block: Tensor) {
        let d = shape[1]
        precondition(block.rank == 2 && block.shape[1] == d && start + block.shape[0] <= shape[0], "rows \(block.shape) do not fit \(shape) at \(start)")
        storage.replaceSubrange(start * d ..< start * d + block.count, with: block.storage)
    }
}
