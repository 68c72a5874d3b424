import Foundation
import Testing
import ReelMedia

/// A still's provenance in PNG text chunks: written after IHDR, read back, kept
/// by libav's PNG decoder (the file still decodes to the same pixels), and a
/// damaged file refused.
@Suite struct PNGTextTests {
    /// A 5×3 frame with a different colour in every pixel.
    func frame() throws -> RGBFrame {
        var pixels: [UInt8] = []
        for i in 0 ..< 15 {
            let step = UInt8(i * 17)
            pixels += [step, 255 - step, UInt8(i * 5)]
        }
        return try RGBFrame(width: 5, height: 3, pixels: pixels)
    }

    @Test func textChunksRoundTripAndLibavStillDecodesTheImage() throws {
        let original = try frame()
        let png = try ImageWriter.pngBytes(original)
        let tagged = try PNGText.adding(
            [(key: "ai_generated", value: "true"), (key: "comment", value: "prompt: un renard roux, 狐")], to: png)
        let info = try PNGText.read(tagged)
        #expect(info.width == 5 && info.height == 3)
        #expect(info.text == ["ai_generated": "true", "comment": "prompt: un renard roux, 狐"])
        // The chunks sit right after IHDR (8 + 25 bytes), before the image data.
        #expect(Array(tagged[37 ..< 41]) == Array("iTXt".utf8))
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("reel-pngtext-\(UUID().uuidString).png")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data(tagged).write(to: url)
        #expect(try MediaReader.readImage(url: url) == original)
    }

    @Test func theChunkCRCIsPNGsCRC32() throws {
        // Every PNG ends with the IEND chunk, whose CRC is the constant AE 42 60 82.
        let png = try ImageWriter.pngBytes(try frame())
        #expect(Array(png.suffix(8)) == Array("IEND".utf8) + [0xAE, 0x42, 0x60, 0x82])
        let tagged = try PNGText.adding([(key: "reel_seed", value: "7")], to: png)
        #expect(Array(tagged.suffix(8)) == Array(png.suffix(8)))
    }

    @Test func damagedFilesAndBadKeywordsAreRefused() throws {
        let png = try PNGText.adding([(key: "reel_seed", value: "7")], to: try ImageWriter.pngBytes(try frame()))
        var flipped = png
        flipped[50] ^= 0x01  // inside the iTXt chunk
        #expect(throws: MediaError.self) { try PNGText.read(flipped) }
        #expect(throws: MediaError.self) { try PNGText.read(Array(png.dropLast(12))) }  // no IEND
        #expect(throws: MediaError.self) { try PNGText.read(Array(png.dropFirst())) }  // no signature
        #expect(throws: MediaError.self) { try PNGText.adding([(key: "", value: "x")], to: png) }
        #expect(throws: MediaError.self) { try PNGText.adding([(key: " padded", value: "x")], to: png) }
    }

    @Test func stillTagsCarryTheSameRecordAsAVideosAndSayImage() {
        let metadata = VideoMetadata(title: "kite", jobID: "12", seed: 21, model: "tiny", note: "prompt: a kite")
        let tags = Dictionary(uniqueKeysWithValues: metadata.stillTags.map { ($0.key, $0.value) })
        #expect(tags["reel_job_id"] == "12" && tags["reel_seed"] == "21" && tags["reel_model"] == "tiny")
        #expect(tags["ai_generated"] == "true" && tags["title"] == "kite" && tags["Software"] == "Reel")
        #expect(tags["comment"] == "job 12, seed 21, model tiny; prompt: a kite")
        #expect(tags["description"] == "AI-generated image (synthetic content) rendered by Reel with tiny")
    }
}
