import Testing
@testable import ReelMedia

@Suite struct RGBFrameTests {
    @Test func planarSignedMapsRangeWithRoundingAndClamping() throws {
        // 2×1 frame: R plane [-1, 1], G plane [0, 2 (clamped)], B plane [NaN → 0, -3 (clamped)]
        let frame = try RGBFrame(planarSigned: [-1, 1, 0, 2, .nan, -3], width: 2, height: 1)
        #expect(frame.pixels == [0, 128, 0, 255, 255, 0])
    }
}
