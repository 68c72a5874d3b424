/// One picture as 8-bit RGB: row-major, 3 bytes per pixel (R, G, B), no row padding.
///
/// This is the only pixel type that crosses ReelMedia's public boundary; libav's
/// frames and their pixel formats stay inside the module.
public struct RGBFrame: Sendable, Equatable {
    /// Width in pixels (> 0).
    public let width: Int
    /// Height in pixels (> 0).
    public let height: Int
    /// `width · height · 3` bytes, `pixels[(y·width + x)·3 + c]` for channel c.
    public private(set) var pixels: [UInt8]

    /// Wraps existing RGB24 bytes.
    /// - Throws: `MediaError.invalidSize` for a non-positive size,
    ///   `MediaError.invalidArgument` when `pixels.count != width · height · 3`.
    public init(width: Int, height: Int, pixels: [UInt8]) throws {
        let count = try Self.checkSize(width: width, height: height) * 3
        guard pixels.count == count else {
            throw MediaError.invalidArgument(
                "an RGB frame of \(width)×\(height) needs \(count) bytes, got \(pixels.count)")
        }
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// A frame filled with one colour (black by default).
    /// - Throws: `MediaError.invalidSize` for a non-positive size.
    public init(width: Int, height: Int, red: UInt8 = 0, green: UInt8 = 0, blue: UInt8 = 0) throws {
        var pixels = [UInt8](repeating: 0, count: try Self.checkSize(width: width, height: height) * 3)
        for i in stride(from: 0, to: pixels.count, by: 3) {
            pixels[i] = red
            pixels[i + 1] = green
            pixels[i + 2] = blue
        }
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// Internal fast path for converters that already produced a correctly sized buffer.
    init(uncheckedWidth width: Int, height: Int, pixels: [UInt8]) {
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// The pixel at column `x`, row `y`.
    public subscript(x: Int, y: Int) -> (red: UInt8, green: UInt8, blue: UInt8) {
        get {
            precondition(x >= 0 && x < width && y >= 0 && y < height, "pixel (\(x), \(y)) outside \(width)×\(height)")
            let i = (y * width + x) * 3
            return (pixels[i], pixels[i + 1], pixels[i + 2])
        }
        set {
            precondition(x >= 0 && x < width && y >= 0 && y < height, "pixel (\(x), \(y)) outside \(width)×\(height)")
            let i = (y * width + x) * 3
            pixels[i] = newValue.red
            pixels[i + 1] = newValue.green
            pixels[i + 2] = newValue.blue
        }
    }

    /// The longest side a frame may have. libav takes sizes as `Int32` (and refuses
    /// frames far beyond 16,384² anyway), and the bound keeps `width × height × 3`
    /// and every buffer size derived from it far from overflowing: ReelMedia is built
    /// with `-Ounchecked`, where an overflowing product would wrap, not trap.
    public static let maxSide = 1 << 16

    /// The frame's pixel count, once both sides are in `1...maxSide`.
    @discardableResult
    static func checkSize(width: Int, height: Int) throws -> Int {
        guard width > 0, height > 0 else {
            throw MediaError.invalidSize(width: width, height: height, reason: "width and height must be positive")
        }
        guard width <= maxSide, height <= maxSide else {
            throw MediaError.invalidSize(width: width, height: height, reason: "at most \(maxSide) per side")
        }
        return width * height
    }
}
