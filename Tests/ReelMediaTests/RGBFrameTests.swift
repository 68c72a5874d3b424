import Testing
@testable import ReelMedia

@Suite struct RGBFrameTests {
    @Test func planarSignedMapsRangeWithRoundingAndClamping() throws {
        // 2×1 frame. R plane: −1 → 0, 1 → 255; G plane: 0 → 128 (127.5 rounds up), 2 → clamped;
        // B plane: NaN → 0 (no trap), −3 → clamped.
        let frame = try RGBFrame(planarSigned: [-1, 1, 0, 2, .nan, -3], width: 2, height: 1)
        #expect(frame.pixels == [0, 128, 0, 255, 255, 0])
        #expect(frame[1, 0] == (255, 255, 0))
    }

    @Test func planarRoundTripIsExactOnBytes() throws {
        let frame = try TestPattern.frame(3, of: 8, width: 16, height: 10)
        let back = try RGBFrame(planarSigned: frame.planarSigned(), width: 16, height: 10)
        #expect(back == frame)
    }

    @Test func wrongFloatCountIsAClearError() {
        #expect(throws: MediaError.invalidArgument(
            "a planar RGB frame of 4×2 needs 3·2·4 = 24 floats, got 16")) {
            try RGBFrame(planarSigned: [Float](repeating: 0, count: 16), width: 4, height: 2)
        }
        #expect(throws: MediaError.self) { try RGBFrame(width: 0, height: 2, pixels: []) }
        #expect(throws: MediaError.self) { try RGBFrame(width: 2, height: 2, pixels: [1, 2, 3]) }
    }

    /// Sizes whose byte counts used to overflow `width * height * 3` (a trap, or under
    /// ReelMedia's `-Ounchecked` a wrapped buffer size) are refused by value.
    @Test func hugeSizesAreRefusedNotWrapped() throws {
        let huge = MediaError.invalidSize(width: Int.max, height: 2, reason: "at most \(RGBFrame.maxSide) per side")
        #expect(throws: huge) { try RGBFrame(width: Int.max, height: 2, pixels: []) }
        #expect(throws: huge) { try RGBFrame(planarSigned: [], width: Int.max, height: 2) }
        #expect(throws: MediaError.self) { try RGBFrame(width: 1 << 32, height: 1 << 32) }
        #expect(throws: MediaError.self) { try VideoReader.outputSize(sourceWidth: 4, sourceHeight: 3, width: Int.max, height: nil) }
        #expect(throws: MediaError.self) { try VideoReader.outputSize(sourceWidth: 4, sourceHeight: 3, width: nil, height: -5) }
        #expect(try VideoReader.outputSize(sourceWidth: 4, sourceHeight: 3, width: 8, height: nil) == (8, 6))
    }
}

/// Placing a scaled conditioning source on its target canvas (crop and pad).
@Suite struct RGBFramePlacementTests {
    /// A 4×2 frame whose pixel (x, y) has red = 10·x + y, placed at x = −1 on a 2×3 canvas:
    /// the canvas's columns show source columns 1 and 2; row 2 is below the source (black).
    @Test func negativeOffsetsCutAndUncoveredCanvasIsBlack() throws {
        var pixels: [UInt8] = []
        for y in 0..<2 { for x in 0..<4 { pixels += [UInt8(10 * x + y), 0, 200] } }
        let frame = try RGBFrame(width: 4, height: 2, pixels: pixels)
        let placed = try frame.placed(width: 2, height: 3, x: -1, y: 0)
        #expect(placed[0, 0] == (10, 0, 200))
        #expect(placed[1, 1] == (21, 0, 200))
        #expect(placed[0, 2] == (0, 0, 0) && placed[1, 2] == (0, 0, 0))
        let padded = try frame.placed(width: 6, height: 2, x: 1, y: 0)
        #expect(padded[0, 0] == (0, 0, 0) && padded[5, 1] == (0, 0, 0))
        #expect(padded[1, 0] == (0, 0, 200) && padded[4, 1] == (31, 0, 200))
    }
}

/// One crossfade step between two frames (an extension's pinned frames, ``SourceJoin``).
@Suite struct RGBFrameMixTests {
    @Test func mixingWeighsTheOtherFrameAndRounds() throws {
        let a = try RGBFrame(width: 2, height: 1, pixels: [0, 100, 255, 10, 20, 30])
        let b = try RGBFrame(width: 2, height: 1, pixels: [255, 0, 0, 11, 20, 31])
        #expect(try a.mixed(with: b, weight: 0) == a)
        #expect(try a.mixed(with: b, weight: 1) == b)
        // 0.25 · b + 0.75 · a: 63.75 → 64, 75, 191.25 → 191, 10.25 → 10, 20, 30.25 → 30.
        #expect(try a.mixed(with: b, weight: 0.25).pixels == [64, 75, 191, 10, 20, 30])
        // A half-way tie rounds up: 10.5 → 11.
        #expect(try a.mixed(with: b, weight: 0.5).pixels[3] == 11)
    }

    @Test func framesOfDifferentSizesOrAWeightOutsideTheUnitAreRefused() throws {
        let a = try RGBFrame(width: 2, height: 1)
        #expect(throws: MediaError.self) { try a.mixed(with: RGBFrame(width: 1, height: 2), weight: 0.5) }
        #expect(throws: MediaError.self) { try a.mixed(with: a, weight: 1.5) }
        #expect(throws: MediaError.self) { try a.mixed(with: a, weight: .nan) }
    }
}
