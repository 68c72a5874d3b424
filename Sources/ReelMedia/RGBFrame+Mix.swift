extension RGBFrame {
    /// `weight · other + (1 − weight) · self`, channel by channel, rounded: a crossfade
    /// step from this frame (weight 0) to `other` (weight 1).
    /// - Throws: `MediaError.invalidArgument` for frames of different sizes or a weight
    ///   outside 0…1.
    public func mixed(with other: RGBFrame, weight: Double) throws -> RGBFrame {
        guard other.width == width, other.height == height else {
            throw MediaError.invalidArgument("cannot mix a \(other.width)×\(other.height) frame into a \(width)×\(height) one")
        }
        guard weight >= 0, weight <= 1 else {
            throw MediaError.invalidArgument("a mixing weight must lie in 0…1, got \(weight)")
        }
        // Fixed point in 1/65536ths: exact at 0 and 1, and no per-pixel Double maths.
        let w = Int((weight * 65536).rounded())
        var out = pixels
        other.pixels.withUnsafeBufferPointer { b in
            out.withUnsafeMutableBufferPointer { a in
                for i in a.indices {
                    a[i] = UInt8((Int(a[i]) * (65536 - w) + Int(b[i]) * w + 32768) >> 16)
                }
            }
        }
        return RGBFrame(uncheckedWidth: width, height: height, pixels: out)
    }
}
