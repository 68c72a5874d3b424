#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import ReelHash

/// A blob written piece by piece as its bytes arrive (an uploaded file), hashed on
/// the way, and kept only if it hashes to the digest the sender named. Memory stays
/// at one piece however large the blob is.
///
/// The pieces go to a temporary file in the store's directory; ``finish(expecting:)``
/// fsyncs it and renames it into place as ``BlobStore/put(_:)`` would, or deletes it
/// when the digest differs. A writer that is neither finished nor ``abandon()``ed
/// leaves a `.tmp-` file behind, as a crashed write does.
public final class BlobWriter {
    public let store: BlobStore
    private let file: URL
    private var fd: Int32
    private var hasher = SHA256()
    /// Bytes written so far.
    public private(set) var count = 0

    /// What ``finish(expecting:)`` found.
    public enum Outcome: Sendable, Equatable {
        /// Stored under the digest (or was already).
        case stored(sha256: String, bytes: Int)
        /// The bytes hash to `actual`, not to what was expected; nothing was stored.
        case mismatch(actual: String)
    }

    public init(store: BlobStore) throws(StoreError) {
        self.store = store
        file = try store.temporaryFile()
        fd = open(file.path, O_WRONLY | O_TRUNC | O_CLOEXEC)
        guard fd >= 0 else {
            unlink(file.path)
            throw .fileSystem(path: file.path, reason: "cannot open: \(BlobStore.errorText())")
        }
    }

    /// Appends `bytes`.
    public func write(_ bytes: UnsafeRawBufferPointer) throws(StoreError) {
        guard fd >= 0 else { throw .fileSystem(path: file.path, reason: "written after it was finished") }
        hasher.update(bytes)
        var offset = 0
        while offset < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw .fileSystem(path: file.path, reason: "cannot write: \(BlobStore.errorText())") }
            offset += n
        }
        count += bytes.count
    }

    /// Stores the bytes under `sha256` if they hash to it; deletes them otherwise.
    public func finish(expecting sha256: String) throws(StoreError) -> Outcome {
        let actual = SHA256.hex(hasher.finalize())
        guard actual == sha256 else {
            abandon()
            return .mismatch(actual: actual)
        }
        let synced = fsync(fd) == 0
        close(fd)
        fd = -1
        guard synced else {
            unlink(file.path)
            throw .fileSystem(path: file.path, reason: "fsync failed: \(BlobStore.errorText())")
        }
        let final = try store.path(of: sha256)
        let shelf = final.deletingLastPathComponent()
        if mkdir(shelf.path, 0o755) == 0 {
            try BlobStore.syncDirectoryAt(store.directory.path)
        } else if errno != EEXIST {
            unlink(file.path)
            throw .fileSystem(path: shelf.path, reason: "cannot create directory: \(BlobStore.errorText())")
        }
        guard rename(file.path, final.path) == 0 else {
            unlink(file.path)
            throw .fileSystem(path: final.path, reason: "cannot rename into place: \(BlobStore.errorText())")
        }
        try BlobStore.syncDirectoryAt(shelf.path)
        store.verified.insert(sha256)
        return .stored(sha256: sha256, bytes: count)
    }

    /// Deletes what was written (a body cut short, or over its limit).
    public func abandon() {
        if fd >= 0 { close(fd) }
        fd = -1
        unlink(file.path)
    }
}
