import Foundation
import Testing
import ReelMedia

@Suite struct ImageTests {
    @Test func pngSequenceIsLossless() throws {
        try withTemporaryDirectory { dir in
            let target = dir.appendingPathComponent("frames")
            let frames = try TestPattern.frames(count: 5, width: 33, height: 17)  // odd sizes are fine for PNG
            let writer = try PNGSequenceWriter(directory: target, width: 33, height: 17)
            for frame in frames { try writer.append(frame) }
            #expect(!FileManager.default.fileExists(atPath: target.path), "nothing published before finish")
            try writer.finish()

            let names = directoryEntries(target)
            #expect(names == (0..<5).map { PNGSequenceWriter.fileName(forFrame: $0) })
            #expect(names.first == "frame_00000.png")
            #expect(directoryEntries(dir) == ["frames"])
            for (index, frame) in frames.enumerated() {
                let back = try MediaReader.readImage(url: target.appendingPathComponent(names[index]))
                #expect(back == frame, "frame \(index) differs after a PNG round trip")
            }
        }
    }

    @Test func pngAndJpegReadResized() throws {
        try withTemporaryDirectory { dir in
            let source = try TestPattern.frame(2, of: 4, width: 96, height: 64)
            for name in ["still.png", "still.jpg"] {
                let url = dir.appendingPathComponent(name)
                try ImageWriter.write(source, to: url)
                let info = try MediaReader.info(url: url)
                #expect(info.codec == (name.hasSuffix("png") ? "png" : "mjpeg"))
                #expect(info.width == 96 && info.height == 64)

                let same = try MediaReader.readImage(url: url)
                if name.hasSuffix("png") {
                    #expect(same == source)
                } else {
                    #expect(psnr(same, source) > 35)
                }

                // Halving with area averaging vs the same done by hand on the source.
                let half = try MediaReader.readImage(url: url, width: 48, height: 32)
                #expect(half.width == 48 && half.height == 32)
                #expect(psnr(half, Self.halve(source)) > 30, "\(name)")

                let bigger = try MediaReader.readImage(url: url, width: 120, height: 80)
                #expect(bigger.width == 120 && bigger.height == 80)
            }
        }
    }

    @Test func sequenceWriterFillsAnExistingEmptyDirectory() throws {
        try withTemporaryDirectory { dir in
            let target = dir.appendingPathComponent("empty")
            try FileManager.default.createDirectory(at: target, withIntermediateDirectories: false)
            let writer = try PNGSequenceWriter(directory: target, width: 4, height: 2)
            try writer.append(RGBFrame(width: 4, height: 2, green: 255))
            try writer.finish()
            #expect(directoryEntries(target) == ["frame_00000.png"])
            #expect(directoryEntries(dir) == ["empty"])
            #expect(PNGSequenceWriter.fileName(forFrame: 123_456) == "frame_123456.png")
        }
    }

    @Test func sequenceWriterDroppedUnfinishedLeavesNothing() throws {
        try withTemporaryDirectory { dir in
            do {
                let writer = try PNGSequenceWriter(directory: dir.appendingPathComponent("seq"), width: 8, height: 8)
                try writer.append(RGBFrame(width: 8, height: 8, red: 200))
            }
            #expect(directoryEntries(dir) == [])
        }
    }

    @Test func sequenceWriterRefusesANonEmptyDirectory() throws {
        try withTemporaryDirectory { dir in
            let target = dir.appendingPathComponent("old")
            try FileManager.default.createDirectory(at: target, withIntermediateDirectories: false)
            _ = FileManager.default.createFile(atPath: target.appendingPathComponent("frame_00000.png").path, contents: Data())
            expectMediaError(naming: target.path) {
                _ = try PNGSequenceWriter(directory: target, width: 8, height: 8)
            }
        }
    }

    @Test func unknownImageExtensionIsRejected() throws {
        try withTemporaryDirectory { dir in
            let url = dir.appendingPathComponent("still.tga")
            expectMediaError(naming: url.path) { try ImageWriter.write(RGBFrame(width: 4, height: 4), to: url) }
            #expect(directoryEntries(dir) == [])
        }
    }

    /// 2×2 box filter, rounded: what area scaling by exactly one half computes.
    static func halve(_ frame: RGBFrame) -> RGBFrame {
        let w = frame.width / 2, h = frame.height / 2
        var pixels = [UInt8](repeating: 0, count: w * h * 3)
        for y in 0..<h {
            for x in 0..<w {
                for c in 0..<3 {
                    var sum = 0
                    for dy in 0..<2 {
                        for dx in 0..<2 {
                            sum += Int(frame.pixels[((2 * y + dy) * frame.width + 2 * x + dx) * 3 + c])
                        }
                    }
                    pixels[(y * w + x) * 3 + c] = UInt8((sum + 2) / 4)
                }
            }
        }
        return try! RGBFrame(width: w, height: h, pixels: pixels)
    }
}
