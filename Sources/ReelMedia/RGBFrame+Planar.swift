extension RGBFrame {
    /// Converts a channel-major (CHW) float frame in [−1, 1], as a VAE decoder emits it,
    /// to RGB24 with `round((x + 1) / 2 · 255)`, clamped to 0…255.
    ///
    /// NaN maps to 0 rather than trapping: a single bad value from the model must not
    /// bring down a render worker; it shows up as a black pixel instead.
    /// - Parameter planarSigned: `3 · height · width` floats: all R, then all G, then all B.
    /// - Throws: `MediaError.invalidSize` / `.invalidArgument` when the count does not match.
    public init(planarSigned values: [Float], width: Int, height: Int) throws {
        let plane = try Self.checkSize(width: width, height: height)
        guard values.count == 3 * plane else {
            throw MediaError.invalidArgument(
                "a planar RGB frame of \(width)×\(height) needs 3·\(height)·\(width) = \(3 * plane) floats, "
                    + "got \(values.count)")
        }
        let pixels = [UInt8](unsafeUninitializedCapacity: 3 * plane) { out, count in
            values.withUnsafeBufferPointer { src in
                for c in 0..<3 {
                    let base = c * plane
                    for i in 0..<plane {
                        let v = (src[base + i] + 1) * 127.5
                        // Written so that NaN falls through to 0.
                        let clamped: Float = v > 0 ? (v < 255 ? v : 255) : 0
                        out[i * 3 + c] = UInt8(clamped + 0.5)
                    }
                }
            }
            count = 3 * plane
        }
        self.init(uncheckedWidth: width, height: height, pixels: pixels)
    }

    /// The inverse of `init(planarSigned:width:height:)`: CHW floats in [−1, 1],
    /// `x = p / 127.5 − 1`, e.g. to feed a conditioning frame to the VAE encoder.
    public func planarSigned() -> [Float] {
        let plane = width * height
        return [Float](unsafeUninitializedCapacity: 3 * plane) { out, count in
            pixels.withUnsafeBufferPointer { src in
                for i in 0..<plane {
                    for c in 0..<3 {
                        out[c * plane + i] = Float(src[i * 3 + c]) / 127.5 - 1
                    }
                }
            }
            count = 3 * plane
        }
    }
}
