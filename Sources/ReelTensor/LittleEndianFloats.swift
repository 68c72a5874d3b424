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
}
