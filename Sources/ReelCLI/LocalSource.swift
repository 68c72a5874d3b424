import ArgumentParser
import Foundation
import ReelFarm
import ReelHash
import ReelMedia
import ReelPlan

/// A conditioning source file on this machine, named by the SHA-256 of its bytes:
/// what `reel plan` checks and `reel submit` uploads (``SourceUploader``).
struct LocalSource: Hashable, Sendable {
    /// The path as the user gave it (flags) or resolved against the job file's folder.
    var file: String
    /// SHA-256 of the file's bytes, lowercase hex: the item's `digest`.
    var digest: String

    /// Reads `file` whole, names it by its SHA-256, and decodes what the job uses of it
    /// (an image at the job's size; a video's frames at 16×16, since hundreds of frames at
    /// full size would take gigabytes only to be dropped): a file libav cannot read as
    /// `kind`, or a video too short, is refused here, naming it. Workers conform it for real.
    static func check(
        _ file: String, kind: ConditioningSource.Kind, job: JobSpec, fit: SourceFit, first: Int = 0, frames: Int = 1
    ) throws -> LocalSource {
        let url = URL(fileURLWithPath: file)
        let data = try read(file)
        do {
            _ = try MediaSourceReader.conform(
                url: url, kind: kind, width: kind == .image ? job.width : 16, height: kind == .image ? job.height : 16, fit: fit,
                fps: Double(job.fps), firstFrame: first, frameCount: kind == .image ? 1 : frames)
        } catch {
            throw ValidationError("'\(file)' is not a readable \(kind == .image ? "image (PNG or JPEG)" : "video (MP4)"): \(error)")
        }
        return LocalSource(file: file, digest: digest(of: data))
    }

    /// The file's bytes, or an error naming it.
    static func read(_ file: String) throws -> Data {
        do { return try Data(contentsOf: URL(fileURLWithPath: file)) } catch {
            throw ValidationError("cannot read '\(file)': \(error.localizedDescription)")
        }
    }

    /// SHA-256 of `data`, lowercase hex.
    static func digest(of data: Data) -> String { SHA256.hex(SHA256.hash(Array(data))) }
}
