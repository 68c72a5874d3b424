import ReelPlan
import ReelTensor

/// How a worker turns a conditioning source's bytes (an image, or a video) into the
/// frames its VAE encodes: decoded, conformed to the target size with the item's
/// ``SourceFit``, and (videos) resampled to the job's frame rate. The worker does not
/// link libav itself; `reel worker` passes the libav implementation (ReelFarm's
/// `MediaSourceReader`), as it does for ``ChunkEncoder``.
public protocol SourceReader: Sendable {
    /// `(3, n, height, width)` RGB frames in [−1, 1]: the image (n = 1), or the video's
    /// frames `firstFrame ..< firstFrame + frameCount` counted at `fps`.
    /// - Throws: `WorkerError` of kind `.invalidInput` naming the source and what was
    ///   expected (a corrupt image, too few frames).
    func frames(of source: SourceBytes, width: Int, height: Int, fit: SourceFit, fps: Double) throws(WorkerError) -> Tensor
    /// The same frames handed to `emit` in order, a few at a time as `(3, n, height,
    /// width)` tensors, so a long video need never be whole in memory; an error thrown
    /// by `emit` ends the read and is rethrown.
    func frames(
        of source: SourceBytes, width: Int, height: Int, fit: SourceFit, fps: Double,
        emit: (Tensor) throws(WorkerError) -> Void
    ) throws(WorkerError)
}

extension SourceReader {
    /// Readers that only read whole clips (tests' stand-ins) emit them as one batch.
    public func frames(
        of source: SourceBytes, width: Int, height: Int, fit: SourceFit, fps: Double,
        emit: (Tensor) throws(WorkerError) -> Void
    ) throws(WorkerError) {
        try emit(try frames(of: source, width: width, height: height, fit: fit, fps: fps))
    }
}

/// A conditioning source as it travels: its bytes, what they are, and the frames used.
public struct SourceBytes: Sendable {
    public var bytes: [UInt8]
    public var kind: ConditioningSource.Kind
    /// SHA-256 of `bytes` (names the source in errors and provenance).
    public var digest: String
    /// Videos: the first frame used and how many (at the job's frame rate).
    public var firstFrame: Int
    public var frameCount: Int

    public init(bytes: [UInt8], kind: ConditioningSource.Kind, digest: String, firstFrame: Int = 0, frameCount: Int = 1) {
        self.bytes = bytes
        self.kind = kind
        self.digest = digest
        self.firstFrame = firstFrame
        self.frameCount = frameCount
    }
}
