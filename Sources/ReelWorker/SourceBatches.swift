import ReelTensor

/// Conformed source frames that arrive as `(3, n, H, W)` batches (``SourceReader``'s
/// streaming read), joined back into one clip where a whole tensor is wanted.
public enum SourceBatches {
    /// The batches joined along frames: `(C, Σn, H, W)`, copied plane by plane (the
    /// frame axis is second, so a plain concatenation along the first axis would not do).
    /// - Throws: `WorkerError` of kind `.internalError` when there are no batches or
    ///   their channel count or frame sizes differ (a reader's bug, not the source's).
    public static func join(_ batches: [Tensor]) throws(WorkerError) -> Tensor {
        guard let first = batches.first else { throw WorkerError(.internalError, "a source read emitted no frames") }
        if batches.count == 1 { return first }
        let s = first.shape
        guard s.count == 4,
            batches.allSatisfy({ $0.shape.count == 4 && $0.shape[0] == s[0] && $0.shape[2] == s[2] && $0.shape[3] == s[3] })
        else {
            throw WorkerError(.internalError, "source frame batches of shapes \(batches.map(\.shape)) cannot be joined")
        }
        let (channels, plane) = (s[0], s[2] * s[3])
        let total = batches.reduce(0) { $0 + $1.shape[1] }
        var storage = [Float]()
        storage.reserveCapacity(channels * total * plane)
        for c in 0 ..< channels {
            for batch in batches {
                let n = batch.shape[1]
                storage.append(contentsOf: batch.storage[c * n * plane ..< (c + 1) * n * plane])
            }
        }
        do { return try Tensor(shape: [channels, total, s[2], s[3]], storage: storage) } catch {
            throw WorkerError(.internalError, "\(error)")
        }
    }

    /// Frames `range` of `(C, n, H, W)` frames (or `(C, t, h, w)` latents): the second
    /// axis, cut plane by plane.
    /// - Throws: `WorkerError` of kind `.internalError` for another rank or a range past `n`.
    public static func frames(_ range: Range<Int>, of tensor: Tensor) throws(WorkerError) -> Tensor {
        let s = tensor.shape
        guard s.count == 4, range.lowerBound >= 0, range.upperBound <= s[1] else {
            throw WorkerError(.internalError, "frames \(range) of a tensor of shape \(s)")
        }
        let (n, plane) = (s[1], s[2] * s[3])
        var storage = [Float]()
        storage.reserveCapacity(s[0] * range.count * plane)
        for c in 0 ..< s[0] {
            storage.append(contentsOf: tensor.storage[(c * n + range.lowerBound) * plane ..< (c * n + range.upperBound) * plane])
        }
        do { return try Tensor(shape: [s[0], range.count, s[2], s[3]], storage: storage) } catch {
            throw WorkerError(.internalError, "\(error)")
        }
    }
}
