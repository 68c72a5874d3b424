import CCrypto

/// SHA-256 (FIPS 180-4), for content addresses and checksums of tensor bytes.
///
/// The farm names stored shard outputs by their digest, checks every tensor that
/// crosses the wire, and records `latents_sha256` so two runs can be compared:
/// tens of megabytes per shard at 832×480, so the hash runs libcrypto's
/// SHA-NI/AVX2 code (about 1.8 GB/s here, nine times ``NaiveSHA256``, the
/// portable reference it is tested against). It is an integrity check, not a
/// security boundary.
public struct SHA256: Sendable {
    private var context = SHA256_CTX()

    public init() { reel_sha256_init(&context) }

    /// Feeds `bytes` to the hash.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        reel_sha256_update(&context, base, bytes.count)
    }

    /// Feeds `bytes` to the hash.
    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// Feeds the little-endian IEEE-754 bytes of `values` to the hash.
    public mutating func update(littleEndian values: [Float]) {
        #if _endian(little)
        values.withUnsafeBytes { update($0) }
        #else
        update(values.flatMap { value in withUnsafeBytes(of: value.bitPattern.littleEndian) { Array($0) } })
        #endif
    }

    /// The 32-byte digest. The hasher is consumed: call it once.
    public consuming func finalize() -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 32)
        digest.withUnsafeMutableBufferPointer { reel_sha256_final($0.baseAddress, &context) }
        return digest
    }

    /// The digest of `bytes`.
    public static func hash(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(bytes)
        return hasher.finalize()
    }

    /// The digest of `bytes`.
    public static func hash(_ bytes: [UInt8]) -> [UInt8] {
        bytes.withUnsafeBytes { hash($0) }
    }

    /// The digest of `values` as little-endian float32 (C order, as stored).
    public static func hash(littleEndian values: [Float]) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(littleEndian: values)
        return hasher.finalize()
    }

    /// Lowercase hexadecimal, as content addresses and `latents_sha256` are written.
    public static func hex(_ digest: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(digest.count * 2)
        for byte in digest {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Whether `text` is a lowercase 64-digit hex digest.
    public static func isHexDigest(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }
}
