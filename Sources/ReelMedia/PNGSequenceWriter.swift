import Foundation

/// Writes frames as `frame_00000.png`, `frame_00001.png`, … into a new directory,
/// encoding each as it arrives (lossless, RGB).
///
/// Like `VideoWriter`, the result appears only on `finish()`: frames go into a hidden
/// temporary directory beside the target, renamed into place at the end, so a failed
/// job never leaves a partial sequence that looks complete.
public final class PNGSequenceWriter {
    /// The directory that will hold the frames.
    public let directory: URL
    /// Frame size in pixels.
    public let width: Int
    public let height: Int
    /// Frames appended so far.
    public private(set) var frameCount = 0

    private enum State { case open, finished, closed }
    private var state = State.open
    private let output: AtomicOutput
    private let encoder: ImageEncoder

    /// The file name of frame `index`: `frame_%05d.png` (wider past 99 999 frames).
    public static func fileName(forFrame index: Int) -> String {
        let digits = String(index)
        return "frame_" + String(repeating: "0", count: max(0, 5 - digits.count)) + digits + ".png"
    }

    /// - Parameter directory: must not exist yet, or be an empty directory; its parent must exist.
    /// - Throws: `MediaError.cannotWrite` when the directory cannot be created there,
    ///   `.invalidSize` for a non-positive size.
    public init(directory: URL, width: Int, height: Int) throws {
        try RGBFrame.checkSize(width: width, height: height)
        let output = try AtomicOutput(target: directory, kind: .directory)
        if mkdir(output.temporary, 0o777) != 0 {
            throw MediaError.cannotWrite(path: output.target, reason: String(cString: strerror(errno)))
        }
        do {
            encoder = try ImageEncoder(format: .png, width: width, height: height, path: output.target)
        } catch {
            output.discard()
            throw error
        }
        self.directory = directory
        self.width = width
        self.height = height
        self.output = output
    }

    deinit {
        if state == .open { abandon() }
    }

    /// Encodes and writes the next frame.
    /// - Throws: `MediaError.invalidArgument` for a frame of the wrong size (the writer
    ///   stays usable); any other error removes the partial sequence and closes the writer.
    public func append(_ frame: RGBFrame) throws {
        guard state == .open else { throw MediaError.writerClosed(path: output.target) }
        guard frame.width == width, frame.height == height else {
            throw MediaError.invalidArgument(
                "frame \(frameCount) is \(frame.width)×\(frame.height) but '\(output.target)' is \(width)×\(height)")
        }
        let name = Self.fileName(forFrame: frameCount)
        let reported = (output.target as NSString).appendingPathComponent(name)
        let path = (output.temporary as NSString).appendingPathComponent(name)
        do {
            try encoder.encode(frame, path: reported) { bytes in
                try AtomicOutput.createFile(at: path, bytes: bytes, reportedAs: reported)
            }
            frameCount += 1
        } catch {
            abandon()
            throw error
        }
    }

    /// Moves the finished sequence into place.
    /// - Throws: `MediaError.invalidArgument` when no frame was appended (nothing is
    ///   created), `.cannotWrite` if the rename fails.
    public func finish() throws {
        guard state == .open else { throw MediaError.writerClosed(path: output.target) }
        guard frameCount > 0 else {
            abandon()
            throw MediaError.invalidArgument("cannot finish '\(output.target)': no frames were appended")
        }
        do {
            try output.commit()
            state = .finished
        } catch {
            state = .closed
            throw error
        }
    }

    /// Stops and removes the partial sequence. Does nothing after `finish()`.
    public func cancel() {
        if state == .open { abandon() }
    }

    private func abandon() {
        output.discard()
        state = .closed
    }
}
