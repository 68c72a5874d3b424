#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A blob mapped read-only into memory (``BlobStore/map(_:)``): its bytes are
/// the page cache's, so reading a neighbour's 8 MB output to blend it neither
/// copies it nor takes fresh pages. Blobs are immutable once stored, and a blob
/// deleted while mapped stays readable until this is released.
public final class MappedBlob: @unchecked Sendable {
    /// The blob's bytes, valid while this object lives: keep it alive across their
    /// use (`withExtendedLifetime`), since Swift may release it after its last mention.
    public let bytes: UnsafeRawBufferPointer

    init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    /// The bytes as float32 values (little-endian hosts: a blob of floats is
    /// stored little-endian, and mappings are page-aligned).
    public var floats: UnsafeBufferPointer<Float> {
        #if !_endian(little)
        #error("MappedBlob.floats reads little-endian float32 blobs in place")
        #endif
        return bytes.bindMemory(to: Float.self)
    }

    deinit {
        if let base = bytes.baseAddress, bytes.count > 0 { munmap(UnsafeMutableRawPointer(mutating: base), bytes.count) }
    }
}
