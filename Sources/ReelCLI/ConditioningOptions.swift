import ArgumentParser
import Foundation
import ReelFarm
import ReelHash
import ReelMedia
import ReelPlan

/// The conditioning flags (issue 16), each turned into ``ConditioningItem``s named by
/// the SHA-256 of the file: `--image FILE [--at SECONDS]`, `--keyframe FILE@SECONDS`,
/// `--extend VIDEO [--backward]`, `--connect A B`, `--edit VIDEO --strength S`, and
/// `--fit`. Every file is read and conformed here first, so a corrupt or missing
/// file is refused naming it, before anything is sent.
struct ConditioningOptions: ParsableArguments {
    @Option(help: "Image-to-video: pin this image (PNG, JPEG) as a frame of the clip, the first unless --at says otherwise.")
    var image: String?

    @Option(help: "With --image: where the image goes, in seconds (snapped to the nearest latent frame: every 4 frames).")
    var at: Double?

    @Option(name: .customLong("keyframe"), help: "FILE@SECONDS, repeatable: pin an image at that time.")
    var keyframes: [String] = []

    @Option(help: "Continue this video (MP4): its last frames are pinned at the start of the clip, and the output holds the video, then the new clip.")
    var extend: String?

    @Flag(help: "With --extend: the clip leads into the video instead (its first frames pinned at the end; the output holds the new clip, then the video).")
    var backward = false

    @Option(parsing: .upToNextOption, help: "A B: a transition from video A's last frame to video B's first.")
    var connect: [String] = []

    @Option(help: "Video-to-video: start from this video (as long as the clip) at --strength.")
    var edit: String?

    @Option(help: "With --edit: how much of the schedule reruns, in (0, 1]; 1 ignores the source.")
    var strength: Double?

    @Option(help: "How a source of another size fills the frame: crop (default), pad or stretch.")
    var fit: SourceFit = .crop

    /// Whether any conditioning flag is given.
    var isEmpty: Bool { image == nil && keyframes.isEmpty && extend == nil && connect.isEmpty && edit == nil }

    /// The items for `plan`'s clip, in flag order, with the file each names, checked
    /// against the plan (``ConditioningPlan``).
    func items(for plan: Plan) throws -> [(item: ConditioningItem, file: String)] {
        let result = try items(job: plan.geometry.job, temporalStride: plan.geometry.model.temporalStride)
        try Self.check(result, plan: plan)
        return result
    }

    /// `items` checked against `plan`, numbered in flag order in the message.
    static func check(_ items: [(item: ConditioningItem, file: String)], plan: Plan) throws {
        do { _ = try ConditioningPlan(plan: plan, items: items.map(\.item)) } catch {
            throw ValidationError("\(error.description) (items are numbered in flag order: \(items.map(\.file).joined(separator: ", ")))")
        }
    }

    /// The items for a clip of `job` and a VAE of `temporalStride`, in flag order, with
    /// the file each names: every file read and checked, the placement not yet checked
    /// against a plan (`reel submit` for a model this machine does not know leaves that
    /// to the coordinator).
    func items(job: JobSpec, temporalStride stride: Int) throws -> [(item: ConditioningItem, file: String)] {
        if at != nil && image == nil { throw ValidationError("--at places --image; give --image FILE too") }
        if backward && extend == nil { throw ValidationError("--backward applies to --extend; give --extend VIDEO too") }
        if strength != nil && edit == nil { throw ValidationError("--strength applies to --edit; give --edit VIDEO too") }
        if !connect.isEmpty && connect.count != 2 { throw ValidationError("--connect takes two videos, A and B; got \(connect.count)") }
        if edit != nil && (image != nil || !keyframes.isEmpty || extend != nil || !connect.isEmpty) {
            throw ValidationError("--edit regenerates the whole clip, so it cannot be combined with --image, --keyframe, --extend or --connect")
        }
        var result: [(item: ConditioningItem, file: String)] = []
        func pinImage(_ file: String, seconds: Double) throws {
            let frame = Int((seconds * Double(job.fps) / Double(stride)).rounded()) * stride
            result.append((ConditioningItem(source: try source(file, .image, job: job), frame: frame, fit: fitChoice), file))
        }
        if let image { try pinImage(image, seconds: at ?? 0) }
        for keyframe in keyframes {
            guard let separator = keyframe.lastIndex(of: "@"), let seconds = Double(keyframe[keyframe.index(after: separator)...]) else {
                throw ValidationError("--keyframe '\(keyframe)' is not FILE@SECONDS (e.g. sunset.png@2.5)")
            }
            try pinImage(String(keyframe[..<separator]), seconds: seconds)
        }
        if let extend {
            let frames = try videoFrames(extend, fps: job.fps)
            // Up to half the clip of context, 4k + 1 frames, as the causal VAE encodes them.
            let count = (min(frames, (job.frames + 1) / 2) - 1) / stride * stride + 1
            var source = try source(extend, .video, job: job, frames: count, first: backward ? 0 : frames - count)
            source.frameCount = count
            let place = backward ? job.frames - count : 0
            // The output holds the whole source and the new clip, joined (`join`).
            result.append((ConditioningItem(source: source, frame: place, fit: fitChoice, join: true), extend))
        }
        if connect.count == 2 {
            let last = try videoFrames(connect[0], fps: job.fps) - 1
            result.append((ConditioningItem(source: try source(connect[0], .video, job: job, frames: 1, first: last), frame: 0, fit: fitChoice), connect[0]))
            result.append((ConditioningItem(source: try source(connect[1], .video, job: job, frames: 1, first: 0), frame: job.frames - 1, fit: fitChoice), connect[1]))
        }
        if let edit {
            guard let strength, strength > 0, strength <= 1 else {
                throw ValidationError("--edit needs --strength in (0, 1], e.g. 0.6; got \(strength.map { "\($0)" } ?? "none")")
            }
            let available = try videoFrames(edit, fps: job.fps)
            guard available >= job.frames else {
                throw ValidationError("--edit '\(edit)' has \(available) frames at \(job.fps) fps; the clip needs \(job.frames): shorten the clip (--frames)")
            }
            result.append((ConditioningItem(
                source: try source(edit, .video, job: job, frames: job.frames, first: 0), frame: 0, mode: .start, strength: strength, fit: fitChoice), edit))
        }
        return result
    }

    /// Nil for the default, so a request with `--fit crop` equals one without it.
    private var fitChoice: SourceFit? { fit == .crop ? nil : fit }

    /// The source `file` gives (``LocalSource/check(_:kind:job:fit:first:frames:)``).
    private func source(_ file: String, _ kind: ConditioningSource.Kind, job: JobSpec, frames: Int = 1, first: Int = 0) throws -> ConditioningSource {
        let digest = try LocalSource.check(file, kind: kind, job: job, fit: fit, first: first, frames: frames).digest
        return kind == .image
            ? ConditioningSource(kind: .image, digest: digest)
            : ConditioningSource(kind: .video, digest: digest, firstFrame: first, frameCount: frames)
    }

    /// Frames `file` has at the job's frame rate (resampled by nearest frame).
    private func videoFrames(_ file: String, fps: Int) throws -> Int {
        let info: VideoInfo
        do { info = try MediaReader.info(url: URL(fileURLWithPath: file)) } catch {
            throw ValidationError("'\(file)' is not a readable video (MP4): \(error)")
        }
        guard let sourceFPS = info.fps, sourceFPS > 0, let count = info.frameCount ?? info.duration.map({ Int(($0 * sourceFPS).rounded()) }), count > 0 else {
            throw ValidationError("'\(file)' is not a readable video (MP4): it has no frame rate or frame count (an image? --image takes those)")
        }
        // Output frame i shows source frame round(i · sourceFPS / fps) (``SourceFrames``), which
        // must be below `count`: i < (count − ½) · fps / sourceFPS.
        return max(1, Int(((Double(count) - 0.5) * Double(fps) / sourceFPS).rounded(.up)))
    }
}

extension SourceFit: ExpressibleByArgument {}
