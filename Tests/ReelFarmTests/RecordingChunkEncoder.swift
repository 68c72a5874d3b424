import Foundation
import ReelFarm
import ReelHash
import ReelTensor
import ReelWorker

/// A worker's chunk encoder that encodes as `reel worker` does (libav H.264) and
/// keeps the float frames it was given, under the SHA-256 of the segment they
/// became: the farm stores a segment under that digest, so a test finds a decode
/// chunk's frames, before 8-bit and H.264, from the chunk's row.
final class RecordingChunkEncoder: ChunkEncoder, @unchecked Sendable {
    private let encoder = MediaChunkEncoder()
    private let lock = NSLock()
    private var recorded: [String: [[Float]]] = [:]

    func start(width: Int, height: Int, settings: ChunkEncoding) throws(WorkerError) -> any ChunkEncoderSession {
        Session(inner: try encoder.start(width: width, height: height, settings: settings), owner: self)
    }

    /// The frames (each `[3, H, W]` in [−1, 1], flat) of the segment with digest `sha`.
    func frames(ofSegment sha: String) -> [[Float]]? {
        lock.withLock { recorded[sha] }
    }

    fileprivate func keep(_ frames: [[Float]], segment sha: String) {
        lock.withLock { recorded[sha] = frames }
    }

    /// `(3, n, H, W)` frames as n flat `[3, H, W]` arrays.
    static func split(_ batch: Tensor) -> [[Float]] {
        let channels: Int = batch.shape[0], count: Int = batch.shape[1]
        let plane: Int = batch.shape[2] * batch.shape[3]
        var frames: [[Float]] = []
        for t in 0 ..< count {
            var frame: [Float] = []
            frame.reserveCapacity(channels * plane)
            for c in 0 ..< channels {
                let start: Int = (c * count + t) * plane
                frame += batch.storage[start ..< start + plane]
            }
            frames.append(frame)
        }
        return frames
    }

    private final class Session: ChunkEncoderSession {
        let inner: any ChunkEncoderSession
        let owner: RecordingChunkEncoder
        var frames: [[Float]] = []

        init(inner: any ChunkEncoderSession, owner: RecordingChunkEncoder) {
            self.inner = inner
            self.owner = owner
        }

        func append(_ batch: Tensor) throws(WorkerError) {
            frames += RecordingChunkEncoder.split(batch)
            try inner.append(batch)
        }

        func finish() throws(WorkerError) -> (bytes: [UInt8], frames: Int) {
            let segment = try inner.finish()
            owner.keep(frames, segment: SHA256.hex(SHA256.hash(segment.bytes)))
            return segment
        }
    }
}
