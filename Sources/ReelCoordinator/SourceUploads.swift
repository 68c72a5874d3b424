import Foundation
import Hummingbird
import ReelHash
import ReelStore

/// Where uploaded conditioning sources (the images and videos a job's conditioning
/// items name by digest) are kept: the coordinator's blob store, each file under
/// the SHA-256 of its bytes, so a file is stored once however many jobs name it.
///
/// Used by the HTTP routes (`PUT`/`HEAD /v1/sources/{sha256}`) on the server's
/// tasks, never on the event loop: a file of hundreds of MiB is streamed to disk
/// and hashed as it arrives.
public struct SourceUploads: Sendable {
    public let blobs: BlobStore
    /// The largest file accepted (`reel coordinator --max-source-bytes`).
    public let maxBytes: Int

    public static let defaultMaxBytes = 256 << 20

    public init(blobs: BlobStore, maxBytes: Int = Self.defaultMaxBytes) {
        self.blobs = blobs
        self.maxBytes = maxBytes
    }

    /// Whether the source `sha256` has been uploaded.
    public func has(_ sha256: String) -> Bool {
        SHA256.isHexDigest(sha256) && blobs.contains(sha256)
    }

    /// What an upload came to.
    public enum Outcome: Sendable, Equatable {
        /// Stored now (`created`), or it was already there.
        case stored(bytes: Int, created: Bool)
        case mismatch(actual: String)
        /// The body went past ``maxBytes`` (at `received` bytes); nothing was kept.
        case tooLarge(received: Int)
    }

    /// Streams `body` into the store under `sha256` if the bytes hash to it and
    /// stay within ``maxBytes``. An upload of a source already stored still reads
    /// the body through (HTTP/1.1 needs it read) but writes nothing.
    public func store<Body: AsyncSequence>(_ body: Body, sha256: String) async throws -> Outcome
    where Body.Element == ByteBuffer {
        let existing = has(sha256)
        let writer = existing ? nil : try BlobWriter(store: blobs)
        var hasher = existing ? SHA256() : nil
        var received = 0
        do {
            for try await piece in body {
                received += piece.readableBytes
                guard received <= maxBytes else {
                    writer?.abandon()
                    return .tooLarge(received: received)
                }
                try piece.withUnsafeReadableBytes { raw throws(StoreError) in
                    if let writer { try writer.write(raw) } else { hasher?.update(raw) }
                }
            }
        } catch {
            writer?.abandon()
            throw error
        }
        if let writer {
            switch try writer.finish(expecting: sha256) {
            case .stored(_, let bytes): return .stored(bytes: bytes, created: true)
            case .mismatch(let actual): return .mismatch(actual: actual)
            }
        }
        let actual = SHA256.hex(hasher!.finalize())
        return actual == sha256 ? .stored(bytes: received, created: false) : .mismatch(actual: actual)
    }
}
