/// Float32 values as little-endian bytes: the layout of safetensors, of tensor
/// frames on the farm's wire, of stored shard outputs and of the HTTP API's tensors.
public enum LittleEndianFloats {
    /// The bytes of `values`, four per value.
    public static func bytes(_ values: [Float]) -> [UInt8] {
        #if _endian(little)
        return values.withUnsafeBytes { Array($0) }
        #else
        return values.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian) { Array($0) } }
        #endif
    }

    /// The values in `bytes` (a trailing partial value is ignored).
    public static func values(_ bytes: UnsafeRawBufferPointer) -> [Float] {
        let count = bytes.count / 4
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            #if _endian(little)
            UnsafeMutableRawBufferPointer(buffer).copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[0 ..< count * 4]))
            #else
            for i in 0 ..< count {
                buffer[i] = Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
            }
            #endif
            initialized = count
        }
    }

    /// Whether every float32 in `bytes` is finite: its exponent bits are not all
    /// ones. Reads the bits, so it needs no copy; branch-free so it vectorises.
    public static func allFinite(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let count = bytes.count / 4
        guard count > 0, let base = bytes.baseAddress else { return true }
        // (bits & exponent) + one exponent step carries into the sign bit exactly
        // when every exponent bit is set (infinity or NaN).
        let exponent: UInt32 = 0x7f80_0000, step: UInt32 = 0x0080_0000, sign: UInt32 = 0x8000_0000
        var flagged: UInt32 = 0
        if Int(bitPattern: base) % MemoryLayout<UInt32>.alignment == 0 {
            let words = UnsafeBufferPointer(start: base.assumingMemoryBound(to: UInt32.self), count: count)
            for word in words { flagged |= ((UInt32(littleEndian: word) & exponent) &+ step) & sign }
        } else {
            for index in 0 ..< count {
                let word = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4 * index, as: UInt32.self))
                flagged |= ((word & exponent) &+ step) & sign
            }
        }
        return flagged == 0
    }
}
