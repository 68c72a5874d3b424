/// One named colour of a ``PaletteDetector``'s palette.
public struct PaletteColour: Sendable, Hashable {
    public let name: String
    public let red: UInt8
    public let green: UInt8
    public let blue: UInt8

    /// A colour named `name` with the given 8-bit levels.
    public init(_ name: String, _ red: UInt8, _ green: UInt8, _ blue: UInt8) {
        self.name = name
        self.red = red
        self.green = green
        self.blue = blue
    }
}

/// Where one colour is in one frame: how many pixels show it and their centroid.
public struct ColourDetection: Sendable, Equatable {
    /// Pixels classified as the colour.
    public let pixels: Int
    /// Mean column and row of those pixels (pixel centres at integer coordinates);
    /// nil when the colour is not found.
    public let centroid: (x: Double, y: Double)?

    /// A detection of `pixels` pixels about `centroid`.
    public init(pixels: Int, centroid: (x: Double, y: Double)?) {
        self.pixels = pixels
        self.centroid = centroid
    }

    public static func == (a: Self, b: Self) -> Bool {
        a.pixels == b.pixels && a.centroid?.x == b.centroid?.x && a.centroid?.y == b.centroid?.y
    }
}

/// A colour-histogram detector for clips of a known palette, such as the demo model's
/// procedural grammar (one object of one colour over a dark background): each pixel
/// belongs to the nearest colour of the palette, if that colour lies within
/// `maxDistance` in RGB (edge pixels, blends of two colours, are far from both and
/// belong to none); a colour is *found* in a frame when at least `minPixels` pixels
/// belong to it. The centroids of those pixels, frame after frame, are the track that
/// ``CentroidTrack`` judges for direction.
///
/// This mirrors `Deploy/train/quality.py` (the training side's measure), so that
/// figures measured there and by `reel demo` mean the same thing.
public struct PaletteDetector: Sendable {
    /// The colours a pixel may belong to, in order (ties go to the earlier one).
    public let palette: [PaletteColour]
    /// Largest RGB distance (0–255 scale, Euclidean) at which a pixel still belongs to
    /// its nearest palette colour.
    public let maxDistance: Double
    /// Pixels a colour needs in a frame to count as found: fewer are edge noise.
    public let minPixels: Int

    /// - Throws: `MediaError.invalidArgument` for an empty palette, repeated names, or
    ///   a non-positive distance or pixel count.
    public init(palette: [PaletteColour], maxDistance: Double = 70, minPixels: Int = 12) throws {
        guard !palette.isEmpty else { throw MediaError.invalidArgument("a palette detector needs at least one colour") }
        guard Set(palette.map(\.name)).count == palette.count else {
            throw MediaError.invalidArgument("palette colour names repeat: \(palette.map(\.name))")
        }
        guard maxDistance > 0, minPixels > 0 else {
            throw MediaError.invalidArgument("maxDistance (\(maxDistance)) and minPixels (\(minPixels)) must be positive")
        }
        self.palette = palette
        self.maxDistance = maxDistance
        self.minPixels = minPixels
    }

    /// The palette index of `name`.
    /// - Throws: `MediaError.invalidArgument` naming the palette when it has no such colour.
    public func index(of name: String) throws -> Int {
        guard let i = palette.firstIndex(where: { $0.name == name }) else {
            throw MediaError.invalidArgument("'\(name)' is not in the palette (\(palette.map(\.name).joined(separator: ", ")))")
        }
        return i
    }

    /// The pixels of `frame` that belong to palette colour `index`, and their centroid
    /// if there are at least `minPixels` of them.
    public func detect(colour index: Int, in frame: RGBFrame) -> ColourDetection {
        precondition(palette.indices.contains(index), "palette index \(index) outside 0..<\(palette.count)")
        let limit = maxDistance * maxDistance
        var count = 0
        var sumX = 0.0
        var sumY = 0.0
        frame.pixels.withUnsafeBufferPointer { p in
            for y in 0..<frame.height {
                for x in 0..<frame.width {
                    let i = (y * frame.width + x) * 3
                    if nearest(Int(p[i]), Int(p[i + 1]), Int(p[i + 2]), within: limit) == index {
                        count += 1
                        sumX += Double(x)
                        sumY += Double(y)
                    }
                }
            }
        }
        let centroid = count >= minPixels && count > 0 ? (x: sumX / Double(count), y: sumY / Double(count)) : nil
        return ColourDetection(pixels: count, centroid: centroid)
    }

    /// The nearest palette colour's index if within `limit` (squared distance), else nil.
    /// Ties go to the earlier colour.
    func nearest(_ r: Int, _ g: Int, _ b: Int, within limit: Double) -> Int? {
        var best = -1
        var bestDistance = Int.max
        for (i, c) in palette.enumerated() {
            let dr = r - Int(c.red)
            let dg = g - Int(c.green)
            let db = b - Int(c.blue)
            let d = dr * dr + dg * dg + db * db
            if d < bestDistance {
                best = i
                bestDistance = d
            }
        }
        return Double(bestDistance) <= limit ? best : nil
    }

    /// The colour's track over `frames`: its centroid in each frame where it is found.
    public func track(colour index: Int, in frames: [RGBFrame]) -> CentroidTrack {
        let width = frames.first?.width ?? 1
        let height = frames.first?.height ?? 1
        return CentroidTrack(points: frames.map { detect(colour: index, in: $0).centroid }, width: width, height: height)
    }
}
