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
}
