import Foundation
import ReelFarm
import ReelMedia
import ReelPlan
import ReelTensor
import ReelWorker
import Testing

/// Conditioning sources read through libav and conformed to the job's size (crop, pad,
/// stretch) and frame rate, as workers do before VAE-encoding them. The sources are
/// drawn so that the expected pixels follow from the fit rule by hand.
@Suite struct MediaSourceReaderTests {
    /// A 96×64 PNG: the left and right 16 columns red, the middle 64 green.
    static func bands(in dir: URL) throws -> URL {
        var frame = try RGBFrame(width: 96, height: 64, green: 255)
        for y in 0..<64 { for x in Array(0..<16) + Array(80..<96) { frame[x, y] = (255, 0, 0) } }
        let url = dir.appendingPathComponent("bands.png")
        try ImageWriter.write(frame, to: url)
        return url
    }

    static func pixel(_ t: Tensor, _ x: Int, _ y: Int, frame: Int = 0) -> [Float] {
        let (n, h, w) = (t.shape[1], t.shape[2], t.shape[3])
        return (0..<3).map { t.storage[(($0 * n + frame) * h + y) * w + x] }
    }

    /// What a conformed pixel shows. libswscale scales RGB through YUV, so colours move by a
    /// few levels near edges: the class, not the exact value, is what the fit decides.
    static func colour(_ t: Tensor, _ x: Int, _ y: Int) -> String {
        let p = pixel(t, x, y)
        if p.allSatisfy({ $0 < -0.8 }) { return "black" }
        if p[0] > 0.5 && p[1] < -0.5 { return "red" }
        if p[1] > 0.5 && p[0] < -0.5 { return "green" }
        return "mixed \(p)"
    }

    /// Into 64×64: crop scales to 96×64 and cuts 16 columns each side (all green); pad
    /// scales to 64×43 (64·64/96 = 42.7) with 10 black rows on top; stretch keeps the red
    /// bands, squeezed to about 11 columns each side.
    @Test func cropPadAndStretchPutTheSourceWhereTheFitSays() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("reel-fit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = try Self.bands(in: dir)
        let crop = try MediaSourceReader.conform(url: url, kind: .image, width: 64, height: 64, fit: .crop, fps: 16)
        #expect(crop.shape == [3, 1, 64, 64])
        for x in [0, 1, 32, 62, 63] { #expect(Self.colour(crop, x, 32) == "green", "crop column \(x)") }
        let pad = try MediaSourceReader.conform(url: url, kind: .image, width: 64, height: 64, fit: .pad, fps: 16)
        #expect(Self.pixel(pad, 32, 0) == [-1, -1, -1] && Self.pixel(pad, 32, 9) == [-1, -1, -1], "black border on top (exact: never scaled)")
        #expect(Self.pixel(pad, 32, 53) == [-1, -1, -1] && Self.pixel(pad, 32, 63) == [-1, -1, -1], "black border below")
        #expect(Self.colour(pad, 32, 30) == "green" && Self.colour(pad, 0, 30) == "red" && Self.colour(pad, 63, 30) == "red")
        let stretch = try MediaSourceReader.conform(url: url, kind: .image, width: 64, height: 64, fit: .stretch, fps: 16)
        #expect(Self.colour(stretch, 2, 0) == "red" && Self.colour(stretch, 61, 63) == "red")
        #expect(Self.colour(stretch, 32, 32) == "green" && Self.colour(stretch, 16, 32) == "green")
    }

    /// `ramp.mp4` in `dir`: 12 frames of 64×64 at 32 fps, frame k grey level 20·k.
    static func greyRamp(in dir: URL) throws -> URL {
        let url = dir.appendingPathComponent("ramp.mp4")
        let writer = try VideoWriter(url: url, width: 64, height: 64, fps: 32)
        for k in 0..<12 { try writer.append(try RGBFrame(width: 64, height: 64, red: UInt8(20 * k), green: UInt8(20 * k), blue: UInt8(20 * k))) }
        try writer.finish()
        return url
    }

    /// A 32 fps MP4 whose frame k is grey level 20·k, read at 16 fps from frame 1 for 4
    /// frames: source frames 2, 4, 6, 8 (i·32/16), so grey 40, 80, 120, 160 (H.264 within ±3).
    @Test func videoFramesAreResampledToTheJobsFrameRate() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("reel-fps-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = try Self.greyRamp(in: dir)
        let frames = try MediaSourceReader.conform(
            url: url, kind: .video, width: 64, height: 64, fit: .crop, fps: 16, firstFrame: 1, frameCount: 4)
        #expect(frames.shape == [3, 4, 64, 64])
        for (t, grey) in [40, 80, 120, 160].enumerated() {
            let value = (Self.pixel(frames, 32, 32, frame: t)[1] + 1) * 127.5
            print("frame \(t): grey \(value), expected \(grey)")
            #expect(abs(value - Float(grey)) <= 3, "output frame \(t) shows source frame \(2 * (t + 1))")
        }
        #expect(throws: MediaError.self) {
            try MediaSourceReader.conform(url: url, kind: .video, width: 64, height: 64, fit: .crop, fps: 16, firstFrame: 0, frameCount: 9)
        }
    }

    /// The streaming read (what workers encode from): one conformed frame per call, source
    /// frames repeated at a job rate above the source's and skipped below it, the same
    /// values as the whole-tensor read; the consumer's own error ends the read unchanged.
    @Test func streamedFramesComeOneAtATimeAndEqualTheWholeRead() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("reel-stream-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = try Self.greyRamp(in: dir)
        let bytes = Array(try Data(contentsOf: url))
        let reader = MediaSourceReader()
        // 48 fps repeats source frames (0, 1, 1, 2, 3, 3, 4, 5, 5); 16 fps skips every other one.
        for (fps, count) in [(48.0, 9), (16.0, 5)] {
            let source = SourceBytes(bytes: bytes, kind: .video, digest: String(repeating: "e", count: 64), firstFrame: 0, frameCount: count)
            var batches = [Tensor]()
            try reader.frames(of: source, width: 64, height: 64, fit: .crop, fps: fps) { batch throws(WorkerError) in batches.append(batch) }
            #expect(batches.count == count && batches.allSatisfy { $0.shape == [3, 1, 64, 64] })
            let whole = try reader.frames(of: source, width: 64, height: 64, fit: .crop, fps: fps)
            let joined = try SourceBatches.join(batches)
            print("\(fps) fps: \(batches.count) batches, maxdiff to the whole read \(joined.maxAbsDifference(whole))")
            #expect(joined == whole)
            let wanted = SourceFrames.indices(sourceFPS: 32, jobFPS: fps, first: 0, count: count)
            for (t, index) in wanted.enumerated() {
                let value = (Self.pixel(batches[t], 32, 32)[1] + 1) * 127.5
                #expect(abs(value - Float(20 * index)) <= 3, "output frame \(t) shows source frame \(index), grey \(value)")
            }
        }
        let source = SourceBytes(bytes: bytes, kind: .video, digest: String(repeating: "e", count: 64), firstFrame: 0, frameCount: 9)
        var seen = 0
        do {
            try reader.frames(of: source, width: 64, height: 64, fit: .crop, fps: 16) { _ throws(WorkerError) in
                seen += 1
                if seen == 3 { throw WorkerError(.cancelled, "stop") }
            }
            Issue.record("the read went on past the consumer's error")
        } catch {
            #expect(error.kind == .cancelled && seen == 3, "\(error)")
        }
        // 9 frames at 16 fps need source frame 16 of 12: refused, naming the source and the count.
        do {
            try reader.frames(of: source, width: 64, height: 64, fit: .crop, fps: 16) { _ throws(WorkerError) in }
            Issue.record("a too-short video was read")
        } catch {
            #expect(error.kind == .invalidInput && error.message.contains("has 12 frames"), "\(error.message)")
        }
    }

    /// Bytes that are not an image: the worker's error says which source and that it is corrupt or unreadable.
    @Test func aCorruptImageIsRefusedNamingTheSource() {
        let digest = String(repeating: "d", count: 64)
        let source = SourceBytes(bytes: Array("not a png at all".utf8), kind: .image, digest: digest)
        do {
            _ = try MediaSourceReader().frames(of: source, width: 64, height: 64, fit: .crop, fps: 16)
            Issue.record("garbage bytes were read as an image")
        } catch {
            #expect(error.kind == .invalidInput)
            #expect(error.message.contains("source dddddddddddd…"), "\(error.message)")
        }
    }
}
