import ReelPlan

/// Test-side helpers written independently of the code under test: they walk
/// spans by `indices` and index the clip by hand.
enum TestSupport {
    /// The values of a clip tensor `[C, F, H, W]` inside `box`, `[C, t, y, x]`.
    static func slice(_ clip: [Float], shape: LatentShape, box: LatentBox) -> [Float] {
        var result: [Float] = []
        for c in 0..<shape.channels {
            for f in box.frames.indices {
                for y in box.rows.indices {
                    for x in box.columns.indices {
                        result.append(clip[((c * shape.frames + f) * shape.height + y) * shape.width + x])
                    }
                }
            }
        }
        return result
    }

    /// Positions `(f, y, x)` covered by a box, as flat indices `(f·H + y)·W + x`.
    static func positions(of box: LatentBox, shape: LatentShape) -> Set<Int> {
        var set = Set<Int>()
        for f in box.frames.indices {
            for y in box.rows.indices {
                for x in box.columns.indices { set.insert((f * shape.height + y) * shape.width + x) }
            }
        }
        return set
    }

    /// A deterministic pseudo-random clip (a simple LCG, unrelated to the noise generator).
    static func randomClip(_ shape: LatentShape, seed: UInt64) -> [Float] {
        var state = seed | 1
        return (0..<shape.count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(Int64(bitPattern: state >> 11) % 2000) / 100 - 10
        }
    }
}
