/// A frame size in pixels, `WxH` when printed (the form `--size` takes).
public struct PixelSize: Hashable, Sendable, Codable, CustomStringConvertible {
    /// Pixels across.
    public var width: Int
    /// Pixels down.
    public var height: Int

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }

    public var description: String { "\(width)x\(height)" }

    /// Whether the frame is taller than it is wide.
    public var isPortrait: Bool { height > width }

    /// The valid sizes nearest to `self` when each side must be a multiple of its
    /// quantum: every pair of the nearest multiples on either side of each axis,
    /// closest first (by the larger of the two changes, then the smaller), sides
    /// already valid kept as they are. At most four sizes.
    public func nearestMultiples(width quantumW: Int, height quantumH: Int) -> [PixelSize] {
        func candidates(_ value: Int, _ quantum: Int) -> [Int] {
            value % quantum == 0 && value >= quantum
                ? [value] : PlanError.nearestMultiples(of: quantum, around: value)
        }
        let sizes = candidates(width, quantumW).flatMap { w in
            candidates(height, quantumH).map { PixelSize(width: w, height: $0) }
        }
        func key(_ s: PixelSize) -> (Int, Int) {
            let dw = abs(s.width - width), dh = abs(s.height - height)
            return (max(dw, dh), min(dw, dh))
        }
        return sizes.sorted { a, b in
            let (ka, kb) = (key(a), key(b))
            return ka != kb ? ka < kb : (a.width, a.height) < (b.width, b.height)
        }
    }
}
