import Foundation
import ReelTensor

/// A **test fault**, not a mode of operation: wraps a real chunk encoder and cuts
/// the first `count` segments it finishes to half their bytes while reporting the
/// full frame count, as a broken or malicious worker might. The worker's digest
/// covers the cut bytes, so only the coordinator's parse of the stream can tell;
/// tests use it to prove that the chunk is rejected and redone. `reel worker`
/// builds it only from the hidden `--truncate-segments COUNT` flag together with
/// `REEL_TEST_FAULTS=truncate-segments` in the environment.
public final class TestFaultTruncatingEncoder: ChunkEncoder, @unchecked Sendable {
    public let base: any ChunkEncoder
    private let lock = NSLock()
    private var left: Int

    public static let environmentValue = "truncate-segments"

    public init(base: any ChunkEncoder, count: Int) {
        self.base = base
        self.left = count
    }

    public func start(width: Int, height: Int, settings: ChunkEncoding) throws(WorkerError) -> any ChunkEncoderSession {
        Session(base: try base.start(width: width, height: height, settings: settings), owner: self)
    }

    /// Whether the next finished segment is cut (counting it).
    func takeOne() -> Bool {
        lock.withLock {
            guard left > 0 else { return false }
            left -= 1
            return true
        }
    }

    final class Session: ChunkEncoderSession {
        let base: any ChunkEncoderSession
        let owner: TestFaultTruncatingEncoder

        init(base: any ChunkEncoderSession, owner: TestFaultTruncatingEncoder) {
            self.base = base
            self.owner = owner
        }

        func append(_ frames: Tensor) throws(WorkerError) { try base.append(frames) }

        func finish() throws(WorkerError) -> (bytes: [UInt8], frames: Int) {
            let (bytes, frames) = try base.finish()
            guard owner.takeOne() else { return (bytes, frames) }
            return (Array(bytes.prefix(bytes.count / 2)), frames)
        }
    }
}
