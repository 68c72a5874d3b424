import Foundation
import ReelMedia
import Testing

/// Preview stills: the size rule, the JPEG's pixels, and what the checker refuses.
@Suite struct PreviewImageTests {
    @Test func sizesKeepTheAspectRatioAndEvenSides() {
        // 832 × 480 (the users' size): 480 × 320 / 832 = 184.6 → 184 (even).
        #expect(sides(PreviewImage.size(width: 832, height: 480)) == [320, 184])
        #expect(sides(PreviewImage.size(width: 1280, height: 720)) == [320, 180])
        #expect(sides(PreviewImage.size(width: 480, height: 832)) == [320, 554])
        #expect(sides(PreviewImage.size(width: 128, height: 96)) == [128, 96], "small videos are not enlarged")
    }

    func sides(_ size: (width: Int, height: Int)) -> [Int] { [size.width, size.height] }

    @Test func aPreviewOfTheUsersSizeDecodesToItsPicture() throws {
        // Left half red, right half blue, at 832 × 480.
        let width = 832, height = 480
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0 ..< height {
            for x in 0 ..< width {
                let (r, b): (UInt8, UInt8) = x < width / 2 ? (220, 30) : (30, 220)
                pixels[(y * width + x) * 3] = r
                pixels[(y * width + x) * 3 + 1] = 40
                pixels[(y * width + x) * 3 + 2] = b
            }
        }
        let frame = try RGBFrame(width: width, height: height, pixels: pixels)
        let jpeg = try PreviewImage.jpeg(of: frame)
        print("preview: \(jpeg.count) bytes for 320×184")
        #expect(jpeg.count < PreviewImage.maxBytes)
        let back = try PreviewImage.check(jpeg, width: 320, height: 184)
        var maxdiff = 0
        for y in stride(from: 10, to: 174, by: 20) {
            // Away from the edge between the halves, where JPEG blocks mix the colours.
            for (x, expected) in [(40, (220, 40, 30)), (120, (220, 40, 30)), (200, (30, 40, 220)), (280, (30, 40, 220))] {
                let pixel = back[x, y]
                maxdiff = max(maxdiff, abs(Int(pixel.red) - expected.0), abs(Int(pixel.green) - expected.1), abs(Int(pixel.blue) - expected.2))
            }
        }
        print("preview maxdiff \(maxdiff) (8-bit levels)")
        // Quality 80 is libavcodec's quantizer 8: a flat saturated colour's chroma DC
        // moves by a few steps, which R and B amplify (×1.4, ×1.77); the halves are 190 apart.
        #expect(maxdiff <= 24)
    }

    @Test func theCheckerRefusesWhatIsNotTheExpectedPreview() throws {
        let frame = try RGBFrame(width: 64, height: 48, red: 200, green: 100, blue: 50)
        let jpeg = try PreviewImage.jpeg(of: frame)
        #expect(throws: MediaError.self) { try PreviewImage.check(jpeg, width: 64, height: 50) }
        #expect(throws: MediaError.self) { try PreviewImage.check(Array("not a picture at all".utf8), width: 64, height: 48) }
        #expect(throws: MediaError.self) {
            try PreviewImage.check(jpeg + [UInt8](repeating: 0, count: PreviewImage.maxBytes), width: 64, height: 48)
        }
        #expect(try PreviewImage.check(jpeg, width: 64, height: 48).width == 64)
    }
}
