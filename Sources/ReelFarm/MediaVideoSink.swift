import Foundation
import ReelCoordinator
import ReelMedia

/// The decode stage's frames into an H.264 MP4 through libav, as they arrive.
public final class MediaVideoSink: VideoSink {
    private let writer: VideoWriter
    private let path: String

    public init(_ description: VideoDescription, crf: Double = 18, preset: String = "medium") throws {
        path = description.path
        var options = VideoWriter.Options()
        options.crf = crf
        options.preset = preset
        options.metadata = VideoMetadata(
            title: description.title, jobID: "\(description.job)", seed: description.seed, model: description.model,
            note: "prompt: \(description.prompt.prefix(500))", aiGenerated: true)
        writer = try VideoWriter(
            url: URL(fileURLWithPath: description.path), width: description.width, height: description.height,
            fps: Double(description.fps), options: options)
    }

    public func write(frames: [Float], count n: Int, height: Int, width: Int) throws {
        let plane = height * width
        // (3, n, H, W) → one CHW frame at a time.
        for t in 0 ..< n {
            var chw = [Float]()
            chw.reserveCapacity(3 * plane)
            for c in 0 ..< 3 {
                let base = (c * n + t) * plane
                chw.append(contentsOf: frames[base ..< base + plane])
            }
            try writer.append(try RGBFrame(planarSigned: chw, width: width, height: height))
        }
    }

    public func finish() throws -> String {
        try writer.finish()
        return path
    }

    public func abort() { writer.cancel() }
}
