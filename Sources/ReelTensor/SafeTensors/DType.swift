/// Element types of the safetensors format. Only the float types convert to the
/// engine's float32; the others are recognised so a header that uses them is
/// valid, and loading such a tensor as floats is a clear error.
public enum DType: String, Sendable, CaseIterable, Codable {
    case f64 = "F64", f32 = "F32", f16 = "F16", bf16 = "BF16"
    case i64 = "I64", i32 = "I32", i16 = "I16", i8 = "I8"
    case u64 = "U64", u32 = "U32", u16 = "U16", u8 = "U8"
    case bool = "BOOL", f8e4m3 = "F8_E4M3", f8e5m2 = "F8_E5M2"

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .f64, .i64, .u64: 8
        case .f32, .i32, .u32: 4
        case .f16, .bf16, .i16, .u16: 2
        case .i8, .u8, .bool, .f8e4m3, .f8e5m2: 1
        }
    }

    /// Whether Reel can widen this type to float32.
    public var isFloatConvertible: Bool { self == .f32 || self == .f16 || self == .bf16 || self == .f64 }

    /// Whether Reel can write this type.
    public var isWritable: Bool { self == .f32 || self == .f16 || self == .bf16 }
}

/// Bit-exact conversions between float32 and the 16-bit float formats.
public enum HalfPrecision {
    /// bfloat16 bits → float32 (exact: bf16 is the top half of a float32).
    @inline(__always)
    public static func float(fromBFloat16 bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }

    /// float32 → bfloat16 bits, rounding to nearest even; NaN stays a quiet NaN.
    @inline(__always)
    public static func bfloat16(from value: Float) -> UInt16 {
        let bits = value.bitPattern
        if value.isNaN { return UInt16(truncatingIfNeeded: (bits >> 16) | 0x0040) }
        let roundingBias = UInt32(0x7FFF) + ((bits >> 16) & 1)
        return UInt16(truncatingIfNeeded: (bits &+ roundingBias) >> 16)
    }

    /// IEEE binary16 bits → float32 (exact, subnormals included).
    @inline(__always)
    public static func float(fromFloat16 bits: UInt16) -> Float {
        Float(Float16(bitPattern: bits))
    }

    /// float32 → IEEE binary16 bits, rounding to nearest even (overflow → ±Inf).
    @inline(__always)
    public static func float16(from value: Float) -> UInt16 {
        Float16(value).bitPattern
    }
}
