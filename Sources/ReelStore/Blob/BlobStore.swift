#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import ReelHash
import ReelTensor

/// Content-addressed files: each blob is stored once under its SHA-256 at
/// `<directory>/<first two hex digits>/<sha256>`.
///
/// Writes are crash-safe: the bytes go to a temporary file in the same directory,
/// are fsync'd, renamed into place, and the directory is fsync'd, so after `put`
/// returns the blob survives a power cut and a reader never sees half a blob.
/// Reads verify the hash, so silent corruption is reported, never returned
/// (``map(_:)`` once per blob and process: see ``VerifiedBlobs``).
public struct BlobStore: Sendable {
    /// The root directory.
    public let directory: URL
    /// Blobs this process wrote or has already checked (shared by copies of this store).
    let verified = VerifiedBlobs()

    /// Uses (and creates if needed) `directory`.
    public init(directory: URL) throws(StoreError) {
        self.directory = directory
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw .fileSystem(path: directory.path, reason: "cannot create the blob directory: \(error.localizedDescription)")
        }
    }

    /// Stores `bytes` and returns their SHA-256 (lowercase hex), the key to get them
    /// back. Storing the same bytes again does nothing.
    @discardableResult
    public func put(_ bytes: [UInt8]) throws(StoreError) -> String {
        try put(bytes, sha256: SHA256.hex(SHA256.hash(bytes)))
    }

    /// Stores `bytes` under `sha256`, a digest the caller has just checked them
    /// against (a wire tensor's verified checksum), so they are not hashed twice.
    @discardableResult
    public func put(_ bytes: [UInt8], sha256 sha: String) throws(StoreError) -> String {
        var failure: StoreError?
        let stored = bytes.withUnsafeBytes { raw -> String? in
            do throws(StoreError) { return try put(raw, sha256: sha) } catch {
                failure = error
                return nil
            }
        }
        if let failure { throw failure }
        return stored ?? sha
    }

    /// Stores `bytes` (a received frame, without copying it first) under `sha256`,
    /// a digest the caller has just checked them against.
    @discardableResult
    public func put(_ bytes: UnsafeRawBufferPointer, sha256 sha: String) throws(StoreError) -> String {
        let final = try path(of: sha)
        if let size = Self.fileSize(final.path), size == bytes.count { return sha }
        let shelf = final.deletingLastPathComponent()
        if mkdir(shelf.path, 0o755) == 0 {
            try Self.syncDirectory(directory.path)
        } else if errno != EEXIST {
            throw .fileSystem(path: shelf.path, reason: "cannot create directory: \(Self.lastError())")
        }
        let temporary = shelf.appendingPathComponent(".tmp-\(sha.prefix(16))-\(UUID().uuidString)").path
        do throws(StoreError) {
            try Self.writeSynced(bytes, to: temporary)
            guard rename(temporary, final.path) == 0 else {
                throw StoreError.fileSystem(path: final.path, reason: "cannot rename into place: \(Self.lastError())")
            }
            try Self.syncDirectory(shelf.path)
        } catch {
            unlink(temporary)
            throw error
        }
        verified.insert(sha)
        return sha
    }

    /// The bytes stored under `sha256`, after checking that they still hash to it.
    public func get(_ sha256: String) throws(StoreError) -> [UInt8] {
        let (fd, file) = try openForReading(sha256)
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .fileSystem(path: file, reason: "cannot stat: \(Self.lastError())") }
        // One read into a buffer of the file's size: no growing array, no second copy.
        let size = Int(info.st_size)
        var failure: StoreError?
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
            while initialized < size {
                let n = read(fd, buffer.baseAddress! + initialized, size - initialized)
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else {
                    failure = .fileSystem(path: file, reason: n == 0 ? "blob ends before byte \(size)" : "cannot read: \(Self.lastError())")
                    return
                }
                initialized += n
            }
        }
        if let failure { throw failure }
        let actual = SHA256.hex(SHA256.hash(bytes))
        guard actual == sha256 else { throw .blobCorrupt(path: file, expected: sha256, actual: actual) }
        return bytes
    }

    /// Whether a blob is stored under `sha256` (without verifying it).
    public func contains(_ sha256: String) -> Bool {
        guard let file = try? path(of: sha256) else { return false }
        return Self.fileSize(file.path) != nil
    }

    /// Deletes the blob; returns whether there was one.
    @discardableResult
    public func remove(_ sha256: String) throws(StoreError) -> Bool {
        let file = try path(of: sha256)
        guard unlink(file.path) == 0 else {
            if errno == ENOENT { return false }
            throw .fileSystem(path: file.path, reason: "cannot remove: \(Self.lastError())")
        }
        verified.remove(sha256)
        try Self.syncDirectory(file.deletingLastPathComponent().path)
        return true
    }

    /// Where the blob `sha256` lives (whether or not it exists); throws for a key
    /// that is not 64 lowercase hex digits, so a key can never name another path.
    public func path(of sha256: String) throws(StoreError) -> URL {
        guard SHA256.isHexDigest(sha256) else { throw .invalidBlobKey(sha256) }
        return directory.appendingPathComponent(String(sha256.prefix(2)), isDirectory: true)
            .appendingPathComponent(sha256, isDirectory: false)
    }

    private static func writeSynced(_ bytes: UnsafeRawBufferPointer, to path: String) throws(StoreError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .fileSystem(path: path, reason: "cannot create: \(lastError())") }
        defer { close(fd) }
        var offset = 0
        while offset < bytes.count {
            let n = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw .fileSystem(path: path, reason: "cannot write: \(lastError())") }
            offset += n
        }
        guard fsync(fd) == 0 else { throw .fileSystem(path: path, reason: "fsync failed: \(lastError())") }
    }

    /// fsync a directory so a rename or unlink in it is durable.
    private static func syncDirectory(_ path: String) throws(StoreError) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw .fileSystem(path: path, reason: "cannot open directory: \(lastError())") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw .fileSystem(path: path, reason: "fsync of directory failed: \(lastError())") }
    }

    private static func fileSize(_ path: String) -> Int? {
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        return Int(info.st_size)
    }

    private static func lastError() -> String { String(cString: strerror(errno)) }
}
