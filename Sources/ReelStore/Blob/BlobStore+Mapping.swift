#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import ReelHash

/// Reading blobs in place.
extension BlobStore {
    /// Blob `sha256`, mapped read-only. Its hash is checked the first time this
    /// process reads it (a blob this process stored was hashed on the way in), so
    /// corruption on disk is reported, never returned, without hashing a blob
    /// every time a dependent reads it.
    public func map(_ sha256: String) throws(StoreError) -> MappedBlob {
        let (fd, file) = try openForReading(sha256)
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .fileSystem(path: file, reason: "cannot stat: \(Self.errorText())") }
        let size = Int(info.st_size)
        let blob: MappedBlob
        if size == 0 {
            blob = MappedBlob(bytes: UnsafeRawBufferPointer(start: nil, count: 0))
        } else {
            guard let base = mmap(nil, size, PROT_READ, MAP_SHARED, fd, 0), base != MAP_FAILED else {
                throw .fileSystem(path: file, reason: "cannot map: \(Self.errorText())")
            }
            blob = MappedBlob(bytes: UnsafeRawBufferPointer(start: base, count: size))
        }
        if !verified.contains(sha256) {
            let actual = SHA256.hex(SHA256.hash(blob.bytes))
            guard actual == sha256 else { throw .blobCorrupt(path: file, expected: sha256, actual: actual) }
            verified.insert(sha256)
        }
        return blob
    }

    /// Blob `sha256` opened read-only, and its path (for errors); the caller closes it.
    func openForReading(_ sha256: String) throws(StoreError) -> (fd: Int32, path: String) {
        let file = try path(of: sha256).path
        let fd = open(file, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { throw .blobNotFound(sha256: sha256, path: file) }
            throw .fileSystem(path: file, reason: "cannot open: \(Self.errorText())")
        }
        return (fd, file)
    }
}
