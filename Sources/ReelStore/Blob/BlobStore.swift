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
        if bytes.count >= directWriteThreshold, try writeDirect(bytes, to: path) { return }
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

    /// Blobs this large (a shard's output is megabytes) bypass the page cache.
    static let directWriteThreshold = 1 << 20

    /// Linux's `O_DIRECT`, which Swift's Glibc module does not export (it needs
    /// `_GNU_SOURCE`); its value differs by architecture. `nil` elsewhere: every
    /// write goes through the page cache there.
    static var openDirectFlag: Int32? {
        #if os(Linux) && arch(x86_64)
        return 0o40000
        #elseif os(Linux) && arch(arm64)
        return 0o200000
        #else
        return nil
        #endif
    }

    /// Writes `bytes` with `O_DIRECT`, through a 1 MiB aligned buffer, then
    /// truncates the file to their length and fsyncs it. The kernel's copy of a
    /// buffered write into the page cache cost 4–12 ms of CPU per 8 MB on this
    /// kind of machine (`dd`: 1.0 s of system time for 800 MB buffered, 0.09 s
    /// direct), which made storing a result the coordinator's busiest thread.
    /// Returns false, having created nothing, where the file system refuses
    /// `O_DIRECT` (tmpfs): the caller writes through the page cache then.
    private static func writeDirect(_ bytes: UnsafeRawBufferPointer, to path: String) throws(StoreError) -> Bool {
        guard let direct = openDirectFlag else { return false }
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | direct, 0o644)
        guard fd >= 0 else {
            guard errno == EINVAL else { throw .fileSystem(path: path, reason: "cannot create: \(lastError())") }
            unlink(path)
            return false
        }
        defer { close(fd) }
        let alignment = 4096, chunk = 1 << 20
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: chunk, alignment: alignment)
        defer { buffer.deallocate() }
        var offset = 0
        while offset < bytes.count {
            let length = min(chunk, bytes.count - offset)
            buffer.copyMemory(from: bytes.baseAddress! + offset, byteCount: length)
            // The last piece is padded to the alignment and truncated away below.
            let padded = (length + alignment - 1) / alignment * alignment
            if padded > length { (buffer + length).initializeMemory(as: UInt8.self, repeating: 0, count: padded - length) }
            var written = 0
            while written < padded {
                let n = pwrite(fd, buffer + written, padded - written, off_t(offset + written))
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { throw .fileSystem(path: path, reason: "cannot write: \(lastError())") }
                written += n
            }
            offset += length
        }
        guard ftruncate(fd, off_t(bytes.count)) == 0 else { throw .fileSystem(path: path, reason: "cannot truncate: \(lastError())") }
        guard fsync(fd) == 0 else { throw .fileSystem(path: path, reason: "fsync failed: \(lastError())") }
        return true
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
