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
        var batches = [Tensor]()
        try frames(of: source, width: width, height: height, fit: fit, fps: fps) { batch throws(WorkerError) in batches.append(batch) }
        return try SourceBatches.join(batches)
    }

    /// Decodes the source frame by frame and emits each wanted frame conformed, `(3, 1,
    /// height, width)`, as soon as it is decoded: memory holds one decoded frame, never
    /// the clip.
    public func frames(
        of source: SourceBytes, width: Int, height: Int, fit: SourceFit, fps: Double,
        emit: (Tensor) throws(WorkerError) -> Void
    ) throws(WorkerError) {
        // libav opens paths: the bytes go to a private temporary file for the read.
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("reel-source-\(source.digest.prefix(16))-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: url) }
        do {
            try Data(source.bytes).write(to: url)
        } catch {
            throw WorkerError(.internalError, "cannot write source \(source.digest.prefix(12))… to \(url.path): \(error)")
        }
        do {
            try Self.stream(
                url: url, kind: source.kind, width: width, height: height, fit: fit, fps: fps, firstFrame: source.firstFrame,
                frameCount: source.frameCount, emit: emit)
        } catch let error as WorkerError {
            // The consumer's own error (a cancellation, a refused batch) passes through as it is.
            throw error
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
        var batches = [Tensor]()
        do {
            try stream(
                url: url, kind: kind, width: width, height: height, fit: fit, fps: fps, firstFrame: firstFrame, frameCount: frameCount
            ) { batches.append($0) }
            return try SourceBatches.join(batches)
        } catch let error as MediaError {
            throw error
        } catch {
            throw MediaError.invalidArgument("'\(url.path)': \(error)")
        }
    }

    /// The frames ``conform(url:kind:width:height:fit:fps:firstFrame:frameCount:)``
    /// returns, each emitted `(3, 1, height, width)` as it is decoded. Untyped, so that
    /// `emit`'s own errors reach the caller unchanged next to libav's `MediaError`s.
    static func stream(
        url: URL, kind: ConditioningSource.Kind, width: Int, height: Int, fit: SourceFit, fps: Double, firstFrame: Int,
        frameCount: Int, emit: (Tensor) throws -> Void
    ) throws {
        let info = try MediaReader.info(url: url)
        let layout = fit.layout(sourceWidth: info.width, sourceHeight: info.height, targetWidth: width, targetHeight: height)
        let reader = try VideoReader(url: url, width: layout.scaledWidth, height: layout.scaledHeight)
        func conformed(_ frame: RGBFrame) throws -> Tensor {
            let placed = try frame.placed(width: width, height: height, x: layout.x, y: layout.y).planarSigned()
            return try Tensor(shape: [3, 1, height, width], storage: placed)
        }
        switch kind {
        case .image:
            guard let first = try reader.nextFrame() else { throw MediaError.noVideo(path: url.path) }
            try emit(try conformed(first))
        case .video:
            guard let sourceFPS = info.fps, sourceFPS > 0 else {
                throw MediaError.invalidArgument("'\(url.path)' has no frame rate: a video source needs one (give an MP4)")
            }
            // Nearest-frame resampling: the wanted source frames never decrease, but repeat
            // (a job faster than the source) or skip (slower).
            let wanted = SourceFrames.indices(sourceFPS: sourceFPS, jobFPS: fps, first: firstFrame, count: frameCount)
            var decodedCount = 0
            var latest: (index: Int, frame: Tensor)?
            for index in wanted {
                if let latest, latest.index == index {
                    try emit(latest.frame)
                    continue
                }
                var frame: RGBFrame?
                while decodedCount <= index {
                    guard let next = try reader.nextFrame() else {
                        throw MediaError.invalidArgument(
                            "'\(url.path)' has \(decodedCount) frames at \(sourceFPS) fps; frames \(firstFrame)..<\(firstFrame + frameCount) "
                                + "at \(fps) fps need source frame \(wanted.last ?? index): use a longer video or fewer frames")
                    }
                    decodedCount += 1
                    frame = next
                }
                guard let frame else {
                    throw MediaError.invalidArgument("'\(url.path)': source frames \(wanted.prefix(8))… are not in order")
                }
                latest = (index, try conformed(frame))
                try emit(latest!.frame)
            }
        }
    }
}
