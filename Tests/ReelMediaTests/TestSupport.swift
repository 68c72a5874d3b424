import Foundation
import ReelMedia
import Testing

/// A fresh directory under the system temp dir, removed after `body`.
func withTemporaryDirectory<R>(_ body: (URL) throws -> R) throws -> R {
    let url = URL(fileURLWithPath: NSTemporaryDirectory())
        .appendingPathComponent("reel-media-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: url) }
    return try body(url)
}

/// Entries of a directory, to check that nothing (not even a hidden temporary) is left.
func directoryEntries(_ url: URL) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []).sorted()
}

enum TestPattern {
    /// A smooth, moving picture as a VAE would emit it (CHW floats in [−1, 1]): two
    /// gradients plus a soft blob travelling across the frame. Smooth content is what
    /// the PSNR bound is about; noise would measure the encoder, not our plumbing.
    static func frame(_ t: Int, of count: Int, width: Int, height: Int) throws -> RGBFrame {
        let plane = width * height
        var values = [Float](repeating: 0, count: 3 * plane)
        let phase = Float(t) / Float(max(1, count - 1))
        let cx = 0.2 + 0.6 * phase
        let cy = 0.3 + 0.4 * phase
        for y in 0..<height {
            for x in 0..<width {
                let u = Float(x) / Float(width - 1)
                let v = Float(y) / Float(height - 1)
                let d2 = (u - cx) * (u - cx) + (v - cy) * (v - cy)
                let blob = exp(-d2 / (2 * 0.12 * 0.12))
                let i = y * width + x
                values[i] = -0.8 + 1.2 * u + 0.5 * blob
                values[plane + i] = -0.6 + 1.0 * v + 0.3 * blob
                values[2 * plane + i] = 0.6 - 0.8 * (u + v) / 2 - 0.6 * blob
            }
        }
        return try RGBFrame(planarSigned: values, width: width, height: height)
    }

    static func frames(count: Int, width: Int, height: Int) throws -> [RGBFrame] {
        try (0..<count).map { try frame($0, of: count, width: width, height: height) }
    }
}

/// Peak signal-to-noise ratio over all RGB samples, in dB (infinity when identical).
func psnr(_ a: RGBFrame, _ b: RGBFrame) -> Double {
    precondition(a.width == b.width && a.height == b.height)
    var sum = 0.0
    for (x, y) in zip(a.pixels, b.pixels) {
        let d = Double(x) - Double(y)
        sum += d * d
    }
    let mse = sum / Double(a.pixels.count)
    return mse == 0 ? .infinity : 10 * log10(255 * 255 / mse)
}

/// Runs `body`, expecting a `MediaError` whose message names `path`; returns it.
@discardableResult
func expectMediaError(
    naming path: String, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void
) -> MediaError? {
    do {
        try body()
        Issue.record("expected a MediaError naming '\(path)', got success", sourceLocation: sourceLocation)
        return nil
    } catch let error as MediaError {
        #expect(error.description.contains(path), "\(error)", sourceLocation: sourceLocation)
        return error
    } catch {
        Issue.record("expected a MediaError, got \(type(of: error)): \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// Where an executable is on PATH, if anywhere.
func executableOnPath(_ name: String) -> String? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    for directory in path.split(separator: ":") {
        let candidate = "\(directory)/\(name)"
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    return nil
}

/// Frames as one channel-major chunk (3, n, H, W) in [−1, 1], as a decode stage emits it.
func planarClip(_ frames: [RGBFrame]) -> [Float] {
    guard let first = frames.first else { return [] }
    let plane = first.width * first.height
    var clip = [Float](repeating: 0, count: 3 * frames.count * plane)
    for (t, frame) in frames.enumerated() {
        let chw = frame.planarSigned()
        for c in 0..<3 {
            let start = (c * frames.count + t) * plane
            clip.replaceSubrange(start..<start + plane, with: chw[c * plane..<(c + 1) * plane])
        }
    }
    return clip
}

/// Where two byte strings first differ (nil when equal): a readable failure, where
/// `#expect(a == b)` would print both segments whole.
func firstDifference(_ a: [UInt8], _ b: [UInt8]) -> Int? {
    let mismatch = zip(a, b).enumerated().first { $0.element.0 != $0.element.1 }?.offset
    return mismatch ?? (a.count == b.count ? nil : min(a.count, b.count))
}

/// Runs `executable` with `arguments`; returns its exit status and standard output
/// (standard error passes through to the test log).
func runTool(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: Data) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, data)
}

/// ffprobe's JSON for `arguments` plus the file, as a dictionary.
func ffprobeJSON(_ ffprobe: String, _ arguments: [String], _ url: URL) throws -> [String: Any] {
    let (status, data) = try runTool(ffprobe, ["-v", "error"] + arguments + ["-of", "json", url.path])
    #expect(status == 0, "ffprobe failed on '\(url.path)'")
    return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
}
