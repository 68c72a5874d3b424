import Foundation
import Testing
import ReelMedia

/// Every bad input gives a `MediaError` naming the file, never a crash, and no output
/// (not even a temporary) is left behind.
@Suite struct BadInputTests {
    // MARK: writing

    @Test func oddSizeNamesTheValueAndNearestValidSizes() throws {
        try withTemporaryDirectory { dir in
            let url = dir.appendingPathComponent("odd.mp4")
            let error = expectMediaError(naming: "width 127 is odd") {
                _ = try VideoWriter(url: url, width: 127, height: 96, fps: 16)
            }
            #expect(error?.description.contains("126×96 or 128×96") == true, "\(String(describing: error))")
            let both = expectMediaError(naming: "width 33 is odd and height 21 is odd") {
                _ = try VideoWriter(url: url, width: 33, height: 21, fps: 16)
            }
            #expect(both?.description.contains("32×20 or 34×22") == true)
            #expect(directoryEntries(dir) == [])
        }
    }

    @Test func missingDirectoryFailsInInit() throws {
        try withTemporaryDirectory { dir in
            let url = dir.appendingPathComponent("missing/sub/out.mp4")
            let error = expectMediaError(naming: url.path) {
                _ = try VideoWriter(url: url, width: 64, height: 48, fps: 16)
            }
            #expect(error?.description.contains("the directory '\(dir.path)/missing/sub' does not exist") == true)
            #expect(directoryEntries(dir) == [])
        }
    }

    @Test func parentThatIsAFileFailsInInit() throws {
        try withTemporaryDirectory { dir in
            let file = dir.appendingPathComponent("plain")
            _ = FileManager.default.createFile(atPath: file.path, contents: Data("x".utf8))
            let url = file.appendingPathComponent("out.mp4")
            let error = expectMediaError(naming: url.path) {
                _ = try VideoWriter(url: url, width: 64, height: 48, fps: 16)
            }
            #expect(error?.description.contains("is not a directory") == true)
        }
    }

    /// A directory that exists but refuses new files. sysfs refuses them to
    /// everyone, root included (CI runs as root, where permission bits are moot),
    /// so this runs — and can fail — wherever the suite runs.
    @Test func unwritableDirectoryFailsInInit() throws {
        let url = URL(fileURLWithPath: "/sys/reel-out.mp4")
        let error = expectMediaError(naming: url.path) {
            _ = try VideoWriter(url: url, width: 64, height: 48, fps: 16)
        }
        #expect(error?.description.contains("Permission denied") == true)
        #expect(!FileManager.default.fileExists(atPath: url.path))
    }

    @Test func badOptionsAreRejectedBeforeAnyFile() throws {
        try withTemporaryDirectory { dir in
            let url = dir.appendingPathComponent("out.mp4")
            #expect(throws: MediaError.self) { try VideoWriter(url: url, width: 64, height: 48, fps: 0) }
            #expect(throws: MediaError.self) { try VideoWriter(url: url, width: 64, height: 48, fps: .nan) }
            #expect(throws: MediaError.self) {
                try VideoWriter(url: url, width: 64, height: 48, fps: 16, options: .init(crf: 60))
            }
            let preset = expectMediaError(naming: "'turbo'") {
                _ = try VideoWriter(url: url, width: 64, height: 48, fps: 16, options: .init(preset: "turbo"))
            }
            #expect(preset?.description.contains("veryslow") == true)
            #expect(directoryEntries(dir) == [])
        }
    }

    @Test func writerDroppedWithoutFinishLeavesNoFile() throws {
        try withTemporaryDirectory { dir in
            let url = dir.appendingPathComponent("dropped.mp4")
            do {
                let writer = try VideoWriter(url: url, width: 64, height: 48, fps: 16)
                try writer.append(TestPattern.frame(0, of: 2, width: 64, height: 48))
                #expect(directoryEntries(dir).count == 1, "the temporary exists while writing")
            }
            #expect(directoryEntries(dir) == [])
        }
    }

    @Test func cancelKeepsAnExistingTargetAndFinishWithoutFramesWritesNothing() throws {
        try withTemporaryDirectory { dir in
            let url = dir.appendingPathComponent("kept.mp4")
            _ = FileManager.default.createFile(atPath: url.path, contents: Data("previous".utf8))
            let writer = try VideoWriter(url: url, width: 64, height: 48, fps: 16)
            try writer.append(TestPattern.frame(0, of: 2, width: 64, height: 48))
            writer.cancel()
            // (Not `#expect(throws:)`: capturing the writer there crashes Swift 6.3.1's
            // SendNonSendable pass.)
            let closed = expectMediaError(naming: url.path) {
                try writer.append(TestPattern.frame(1, of: 2, width: 64, height: 48))
            }
            #expect(closed == .writerClosed(path: url.path))
            #expect(try Data(contentsOf: url) == Data("previous".utf8))

            let empty = try VideoWriter(url: url, width: 64, height: 48, fps: 16)
            expectMediaError(naming: url.path) { try empty.finish() }
            #expect(directoryEntries(dir) == ["kept.mp4"])
        }
    }

    @Test func wrongFrameSizeIsRejectedAndTheWriterGoesOn() throws {
        try withTemporaryDirectory { dir in
            let url = dir.appendingPathComponent("sizes.mp4")
            let writer = try VideoWriter(url: url, width: 64, height: 48, fps: 16)
            expectMediaError(naming: url.path) { try writer.append(RGBFrame(width: 48, height: 64)) }
            try writer.append(TestPattern.frame(0, of: 1, width: 64, height: 48))
            try writer.finish()
            #expect(try MediaReader.info(url: url).frameCount == 1)
        }
    }

    // MARK: reading

    @Test func missingInputNamesTheFile() {
        let path = "/nonexistent-reel/clip.mp4"
        let error = expectMediaError(naming: path) { _ = try VideoReader(url: URL(fileURLWithPath: path)) }
        #expect(error?.description.contains("No such file or directory") == true)
    }

    @Test func textFileNamedMP4IsRejected() throws {
        try withTemporaryDirectory { dir in
            let url = dir.appendingPathComponent("notes.mp4")
            try Data("this is not a video, just some notes\n".utf8).write(to: url)
            expectMediaError(naming: url.path) { _ = try VideoReader(url: url).readAll() }
            expectMediaError(naming: url.path) { _ = try MediaReader.readImage(url: url) }
        }
    }

    @Test func truncatedMP4IsReportedAsCorrupt() throws {
        try withTemporaryDirectory { dir in
            let url = dir.appendingPathComponent("full.mp4")
            _ = try VideoRoundTripTests.writePattern(to: url)
            let bytes = try Data(contentsOf: url)
            // Cut in the middle of the frame data: the index (first, faststart) survives.
            let cut = dir.appendingPathComponent("cut.mp4")
            try bytes.prefix(bytes.count * 6 / 10).write(to: cut)
            let error = expectMediaError(naming: cut.path) { _ = try VideoReader(url: cut).readAll() }
            if case .corrupt = error {} else { Issue.record("expected .corrupt, got \(String(describing: error))") }
            // Cut inside the index (moov, first because of faststart): the demuxer opens
            // it and reports a clean end of file, which must still be an error.
            let moov = try #require(Self.topLevelBox("moov", in: bytes))
            let index = dir.appendingPathComponent("index.mp4")
            try bytes.prefix(moov.lowerBound + moov.count * 3 / 4).write(to: index)
            expectMediaError(naming: index.path) { _ = try VideoReader(url: index).readAll() }
            // Cut inside the first box: not even openable.
            let stub = dir.appendingPathComponent("stub.mp4")
            try bytes.prefix(20).write(to: stub)
            expectMediaError(naming: stub.path) { _ = try VideoReader(url: stub).readAll() }
        }
    }

    /// Byte range of the first top-level MP4 box of `type`.
    static func topLevelBox(_ type: String, in bytes: Data) -> Range<Int>? {
        let data = [UInt8](bytes)
        var offset = 0
        while offset + 8 <= data.count {
            let size = data[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) }
            let name = String(decoding: data[offset + 4..<offset + 8], as: UTF8.self)
            guard size >= 8 else { return nil }
            if name == type { return offset..<min(offset + size, data.count) }
            offset += size
        }
        return nil
    }

    @Test func corruptPNGIsRejected() throws {
        try withTemporaryDirectory { dir in
            // A PNG signature followed by garbage.
            let garbage = dir.appendingPathComponent("garbage.png")
            try Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + (0..<200).map { UInt8(truncatingIfNeeded: $0 &* 37) })
                .write(to: garbage)
            expectMediaError(naming: garbage.path) { _ = try MediaReader.readImage(url: garbage, width: 16, height: 16) }

            // A real PNG cut in half.
            let good = dir.appendingPathComponent("good.png")
            try ImageWriter.write(TestPattern.frame(0, of: 1, width: 64, height: 64), to: good)
            let half = dir.appendingPathComponent("half.png")
            let bytes = try Data(contentsOf: good)
            try bytes.prefix(bytes.count / 2).write(to: half)
            expectMediaError(naming: half.path) { _ = try MediaReader.readImage(url: half) }
        }
    }

    @Test func unsupportedPixelFormatIsNamed() throws {
        try withTemporaryDirectory { dir in
            // One 8×1 rawvideo frame in uyyvyy411 (packed 4:1:1), a format libswscale
            // cannot read, in a 249-byte NUT file made with
            // `ffmpeg -f rawvideo -pix_fmt uyyvyy411 -s 8x1 -i - -c copy -fflags +bitexact`.
            let url = dir.appendingPathComponent("y411.nut")
            try Data(base64Encoded: Self.uyyvyy411NUT)!.write(to: url)
            #expect(throws: MediaError.unsupportedPixelFormat(path: url.path, format: "uyyvyy411")) {
                try MediaReader.readImage(url: url)
            }
        }
    }

    static let uyyvyy411NUT =
        "bnV0L211bHRpbWVkaWEgY29udGFpbmVyAE5NelYfXwStSAMBgf9/AQGDkADAAAYAAAAAAAGgAAIBASgBACkAIQEBIAIBgXnAAAYAAAAAAAEG"
        + "AwAAAQQAAAG2Av/6Av/7Av/8Av/9L5icM05TEUBb8vnbGAAABFk0MTEADoOQAAAAAAgBAAAAd0P5p05Jq2i1lrp4CQAAAAAAAAAAAE5J"
        + "q2i1lrp4HAEAAAABDHJfZnJhbWVfcmF0ZQIEMjUvMSDwe+lOS+St7spFaQYAAAAAAAADAAyAgICAgICAgICAgIBOWN1nLyPmThAAAQwDAAAA"
        + "AAAAABmZ9YCa"
}
