import Foundation
import ReelMedia
import ReelPlan
import ReelTensor
import ReelWorker

/// Conditioning sources read through libav (``MediaReader``, ``VideoReader``) and
/// conformed to the size they fill: scaled as the ``SourceFit`` says (libswscale's
/// area filter when shrinking, bicubic otherwise), then cropped or padded on a black
/// canvas; video frames resampled to the job's frame rate by nearest frame.
public struct MediaSourceReader: SourceReader {
    public init() {}

    public func frames(of source: SourceBytes, width: Int, height: Int, fit: SourceFit, fps: Double) throws(WorkerError) -> Tensor {
        // libav opens paths: the bytes go to a private temporary file for the read.
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("reel-source-\(source.digest.prefix(16))-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: url) }
        do {
            try Data(source.bytes).write(to: url)
        } catch {
            throw WorkerError(.internalError, "cannot write source \(source.digest.prefix(12))… to \(url.path): \(error)")
        }
        do {
            return try Self.conform(
                url: url, kind: source.kind, width: width, height: height, fit: fit, fps: fps, firstFrame: source.firstFrame,
                frameCount: source.frameCount)
        } catch {
            throw WorkerError(.invalidInput, "source \(source.digest.prefix(12))…: \(error)")
        }
    }

    /// Reads `url` as the source `kind` and conforms it: `(3, n, height, width)` in [−1, 1].
    /// - Throws: `MediaError` naming the file (corrupt, not an image, too few frames).
    public static func conform(
        url: URL, kind: ConditioningSource.Kind, width: Int, height: Int, fit: SourceFit, fps: Double, firstFrame: Int = 0,
        frameCount: Int = 1
    ) throws(MediaError) -> Tensor {
        do {
            let info = try MediaReader.info(url: url)
            let layout = fit.layout(sourceWidth: info.width, sourceHeight: info.height, targetWidth: width, targetHeight: height)
            let reader = try VideoReader(url: url, width: layout.scaledWidth, height: layout.scaledHeight)
            var frames: [RGBFrame] = []
            switch kind {
            case .image:
                guard let first = try reader.nextFrame() else { throw MediaError.noVideo(path: url.path) }
                frames = [first]
            case .video:
                guard let sourceFPS = info.fps, sourceFPS > 0 else {
                    throw MediaError.invalidArgument("'\(url.path)' has no frame rate: a video source needs one (give an MP4)")
                }
                let wanted = SourceFrames.indices(sourceFPS: sourceFPS, jobFPS: fps, first: firstFrame, count: frameCount)
                let last = wanted.max() ?? 0
                let decoded = try reader.readAll(limit: last + 1)
                guard decoded.count > last else {
                    throw MediaError.invalidArgument(
                        "'\(url.path)' has \(decoded.count) frames at \(sourceFPS) fps; frames \(firstFrame)..<\(firstFrame + frameCount) "
                            + "at \(fps) fps need source frame \(last): use a longer video or fewer frames")
                }
                frames = wanted.map { decoded[$0] }
            }
            var storage = [Float](repeating: 0, count: 3 * frames.count * width * height)
            let plane = width * height
            for (t, frame) in frames.enumerated() {
                let placed = try frame.placed(width: width, height: height, x: layout.x, y: layout.y).planarSigned()
                for c in 0..<3 {
                    let to = (c * frames.count + t) * plane
                    storage.replaceSubrange(to..<(to + plane), with: placed[(c * plane)..<((c + 1) * plane)])
                }
            }
            return try Tensor(shape: [3, frames.count, height, width], storage: storage)
        } catch let error as MediaError {
            throw error
        } catch {
            throw MediaError.invalidArgument("'\(url.path)': \(error)")
        }
    }
}
