/// A job checked against a model: the pixel request and the latent tensor it becomes.
///
/// Wan 2.1: 16 channels, `F_lat = (F − 1)/4 + 1` (the causal VAE encodes the first
/// frame alone), `H_lat = H/8`, `W_lat = W/8`, and the transformer's 2×2 patch needs
/// even latent sizes, so frame sizes are multiples of 16.
public struct ClipGeometry: Hashable, Sendable, Codable {
    /// The request as given.
    public let job: JobSpec
    /// The model it was checked against.
    public let model: ModelGeometry
    /// `[C, F_lat, H_lat, W_lat]`.
    public let latent: LatentShape

    /// Checks that the frame count and size fit the model's strides and patch.
    ///
    /// - Throws: ``PlanError`` naming the offending value and the nearest valid ones.
    public init(job: JobSpec, model: ModelGeometry) throws(PlanError) {
        try model.validate()
        guard job.fps >= 1 else { throw .notPositive(.fps, value: job.fps) }
        guard job.frames >= 1 else { throw .notPositive(.frames, value: job.frames) }
        guard job.width >= 1 else { throw .notPositive(.width, value: job.width) }
        guard job.height >= 1 else { throw .notPositive(.height, value: job.height) }

        // The temporal patch must also divide F_lat; with Wan's patch of 1 frame every
        // 4k+1 count is valid, but the rule is stated generally for other models.
        let stride = model.temporalStride
        let frameQuantum = stride * model.patch.frames
        let latentFrames = (job.frames - 1) / stride + 1
        if (job.frames - 1) % stride != 0 || latentFrames % model.patch.frames != 0 {
            throw .invalidFrameCount(
                job.frames, stride: frameQuantum, nearest: Self.nearestFrames(job.frames, model: model))
        }
        let quantum = model.pixelQuantum
        if job.width % quantum.width != 0 || job.height % quantum.height != 0 {
            // One message for both sides, so a user fixing the width learns about the height too.
            let size = PixelSize(width: job.width, height: job.height)
            throw .invalidFrameSize(
                size, quantum: job.width % quantum.width != 0 ? quantum.width : quantum.height,
                nearest: size.nearestMultiples(width: quantum.width, height: quantum.height))
        }
        self.job = job
        self.model = model
        self.latent = LatentShape(
            channels: model.latentChannels, frames: latentFrames,
            height: job.height / model.spatialStride, width: job.width / model.spatialStride)
    }

    /// Valid pixel frame counts around `frames`: `F_lat` a multiple of the temporal
    /// patch, and `F = (F_lat − 1)·stride + 1`.
    static func nearestFrames(_ frames: Int, model: ModelGeometry) -> [Int] {
        let stride = model.temporalStride
        let pf = model.patch.frames
        // Checked: `frames` is whatever a job asked for, and the count above a frame
        // count near Int.max does not exist (it is left out, not trapped on).
        func pixels(_ latent: Int) -> Int? {
            let (scaled, overflow) = (latent - 1).multipliedReportingOverflow(by: stride)
            return overflow || scaled == .max ? nil : scaled + 1
        }
        let latentBelow = ((frames - 1) / stride + 1) / pf * pf
        var result: [Int] = []
        if latentBelow >= pf, let below = pixels(latentBelow) { result.append(below) }
        let (latentAbove, overflow) = latentBelow.addingReportingOverflow(pf)
        if !overflow, let above = pixels(latentAbove), above != frames { result.append(above) }
        return result.filter { $0 != frames }
    }

    /// Transformer tokens in the whole clip.
    public var tokens: Int { latent.tokens(patch: model.patch) }
}
