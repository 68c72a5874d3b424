import Foundation

/// The blobs this process has written, or has read and found to match their
/// hash: ``BlobStore/map(_:)`` hashes a blob the first time only, because the
/// coordinator reads each shard output two or three times (once per dependent)
/// and hashing 8 MB three times costs more than the rest of building an input.
final class VerifiedBlobs: @unchecked Sendable {
    private let lock = NSLock()
    private var known: Set<String> = []

    func contains(_ sha: String) -> Bool { lock.withLock { known.contains(sha) } }
    func insert(_ sha: String) { lock.withLock { _ = known.insert(sha) } }
    func remove(_ sha: String) { lock.withLock { _ = known.remove(sha) } }
}
