#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import ReelHash
import ReelTensor

/// Blobs too large to hold in memory: written to a temporary file piece by
/// piece, adopted under their hash, and read back in ranges.
extension BlobStore {
    /// A new, empty file in the store's directory for ``adopt(_:)`` (same file
    /// system, so adopting is a rename).
    public func temporaryFile() throws(StoreError) -> URL {
        let url = directory.appendingPathComponent(".tmp-\(UUID().uuidString)")
        let fd = open(url.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .fileSystem(path: url.path, reason: "cannot create: \(Self.errorText())") }
        close(fd)
        return url
    }

    /// Moves the finished file at `file` into the store under its SHA-256 and
    /// returns that hash. The file is read once to hash it (in 1 MiB pieces, so
    /// memory stays flat however large it is) and fsync'd before the rename, as
    /// ``put(_:)`` does.
    @discardableResult
    public func adopt(_ file: URL) throws(StoreError) -> String {
        let fd = open(file.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .fileSystem(path: file.path, reason: "cannot open: \(Self.errorText())") }
        var hasher = SHA256()
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else {
                close(fd)
                throw .fileSystem(path: file.path, reason: "cannot read: \(Self.errorText())")
            }
            if n == 0 { break }
            buffer.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[0 ..< n])) }
        }
        let synced = fsync(fd) == 0
        close(fd)
        guard synced else { throw .fileSystem(path: file.path, reason: "fsync failed: \(Self.errorText())") }
        let sha = SHA256.hex(hasher.finalize())
        let final = try path(of: sha)
        let shelf = final.deletingLastPathComponent()
        if mkdir(shelf.path, 0o755) != 0 && errno != EEXIST {
            throw .fileSystem(path: shelf.path, reason: "cannot create directory: \(Self.errorText())")
        }
        guard rename(file.path, final.path) == 0 else {
            throw .fileSystem(path: final.path, reason: "cannot rename into place: \(Self.errorText())")
        }
        try Self.syncDirectoryAt(shelf.path)
        try Self.syncDirectoryAt(directory.path)
        verified.insert(sha)
        return sha
    }

    /// Bytes `range` of blob `sha256`, read without reading the rest. The bytes are
    /// not hash-checked (that needs the whole blob): use it for blobs written by
    /// this process's own ``adopt(_:)``, such as a job's finished latents.
    public func readRange(_ sha256: String, bytes range: Range<Int>) throws(StoreError) -> [UInt8] {
        let (fd, file) = try openForReading(sha256)
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: range.count)
        var done = 0
        while done < range.count {
            let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, $0.count - done, off_t(range.lowerBound + done)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                throw .fileSystem(path: file, reason: n == 0 ? "blob ends before byte \(range.upperBound)" : "cannot read: \(Self.errorText())")
            }
            done += n
        }
        return bytes
    }

    /// Writes `bytes` at `offset` of `file` (a ``temporaryFile()``).
    public static func writeRange(_ bytes: UnsafeRawBufferPointer, to fd: Int32, at offset: Int, path: String) throws(StoreError) {
        var done = 0
        while done < bytes.count {
            let n = pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(offset + done))
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw .fileSystem(path: path, reason: "cannot write: \(errorText())") }
            done += n
        }
    }

    /// Stores float32 values little-endian; returns their SHA-256.
    public func putFloats(_ values: [Float]) throws(StoreError) -> String {
        try put(LittleEndianFloats.bytes(values))
    }

    /// Reads back what ``putFloats(_:)`` stored (hash-checked).
    public func getFloats(_ sha: String) throws(StoreError) -> [Float] {
        let bytes = try get(sha)
        guard bytes.count % 4 == 0 else {
            throw .blobCorrupt(path: (try? path(of: sha).path) ?? sha, expected: "a whole number of float32 values", actual: "\(bytes.count) bytes")
        }
        return bytes.withUnsafeBytes { LittleEndianFloats.values($0) }
    }

    static func syncDirectoryAt(_ path: String) throws(StoreError) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw .fileSystem(path: path, reason: "cannot open directory: \(errorText())") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw .fileSystem(path: path, reason: "fsync of directory failed: \(errorText())") }
    }

    static func errorText() -> String { String(cString: strerror(errno)) }
}
