import ReelTensor

extension SimulatedExecutor {
    /// The stand-in's "VAE encoding" of conformed frames `(3, n, H, W)`: latents of
    /// the real shape `(16, 1 + (n − 1)/stride, H/s, W/s)`, each the mean of one
    /// colour plane over its `s × s` patch of the frame that starts its latent
    /// frame. A fixed function of the source, so pins stay deterministic; it
    /// encodes nothing a real VAE would and takes no simulated time.
    public func encodeSource(_ frames: Tensor, model: String) throws(WorkerError) -> Tensor {
        guard model == Self.modelName else { throw WorkerError(.modelNotFound, "the stand-in serves only '\(Self.modelName)', not '\(model)'") }
        let (stride, s) = (geometry.temporalStride, geometry.spatialStride)
        guard frames.shape.count == 4, frames.shape[0] == 3, frames.shape[1] >= 1, (frames.shape[1] - 1) % stride == 0,
            frames.shape[2] % s == 0, frames.shape[3] % s == 0
        else {
            throw WorkerError(
                .invalidInput, "frames of shape \(frames.shape); expected (3, \(stride)k + 1, H, W) with H and W multiples of \(s)")
        }
        let (n, height, width) = (frames.shape[1], frames.shape[2], frames.shape[3])
        let latentFrames = (0 ..< 1 + (n - 1) / stride).map { f in
            standInLatentFrame(frames.storage, frame: f * stride, frames: n, height: height, width: width)
        }
        return try Self.joined(latentFrames, height: height / s, width: width / s, channels: geometry.latentChannels)
    }

    /// The same stand-in encoding of frames that arrive a few at a time: only the
    /// frame that starts each latent frame is read, and only its patch means are
    /// kept, so a minute-long source never stands whole in memory (as in the real
    /// executor, whose VAE encoder takes the frames as they come).
    public func encodeSource(
        model: String, frames produce: (_ feed: (Tensor) throws(WorkerError) -> Void) throws(WorkerError) -> Void
    ) throws(WorkerError) -> Tensor {
        guard model == Self.modelName else { throw WorkerError(.modelNotFound, "the stand-in serves only '\(Self.modelName)', not '\(model)'") }
        let (stride, s) = (geometry.temporalStride, geometry.spatialStride)
        var latentFrames: [[Float]] = []
        var (count, size): (Int, (height: Int, width: Int)?) = (0, nil)
        try produce { batch throws(WorkerError) in
            let shape = batch.shape
            guard shape.count == 4, shape[0] == 3, shape[2] % s == 0, shape[3] % s == 0, size.map({ $0 == (shape[2], shape[3]) }) ?? true else {
                throw WorkerError(.invalidInput, "frames of shape \(shape); expected (3, n, H, W) with H and W multiples of \(s), the same in every batch")
            }
            size = (shape[2], shape[3])
            for i in 0 ..< shape[1] where (count + i) % stride == 0 {
                latentFrames.append(standInLatentFrame(batch.storage, frame: i, frames: shape[1], height: shape[2], width: shape[3]))
            }
            count += shape[1]
        }
        guard let size, count >= 1, (count - 1) % stride == 0 else {
            throw WorkerError(.invalidInput, "\(count) source frames; expected \(stride)k + 1")
        }
        return try Self.joined(latentFrames, height: size.height / s, width: size.width / s, channels: geometry.latentChannels)
    }

    /// One latent frame of the stand-in encoding, `(channels, h, w)`: channel c is
    /// the mean of colour plane c mod 3 of pixel frame `frame` of `storage`
    /// (`(3, frames, height, width)`) over each `s × s` patch.
    func standInLatentFrame(_ storage: [Float], frame: Int, frames n: Int, height: Int, width: Int) -> [Float] {
        let s = geometry.spatialStride
        let (h, w, channels) = (height / s, width / s, geometry.latentChannels)
        let plane = height * width
        var out = [Float](repeating: 0, count: channels * h * w)
        for c in 0 ..< channels {
            let source = (c % 3) * n * plane + frame * plane
            for y in 0 ..< h {
                for x in 0 ..< w {
                    var sum: Float = 0
                    for dy in 0 ..< s {
                        for dx in 0 ..< s { sum += storage[source + (y * s + dy) * width + x * s + dx] }
                    }
                    out[(c * h + y) * w + x] = sum / Float(s * s)
                }
            }
        }
        return out
    }

    /// Latent frames `(channels, h, w)` each, as one `(channels, t, h, w)` tensor.
    static func joined(_ latentFrames: [[Float]], height h: Int, width w: Int, channels: Int) throws(WorkerError) -> Tensor {
        let t = latentFrames.count
        var out = [Float](repeating: 0, count: channels * t * h * w)
        for (f, frame) in latentFrames.enumerated() {
            for c in 0 ..< channels {
                out.replaceSubrange(((c * t + f) * h * w) ..< ((c * t + f) * h * w + h * w), with: frame[(c * h * w) ..< ((c + 1) * h * w)])
            }
        }
        do { return try Tensor(shape: [channels, t, h, w], storage: out) } catch {
            throw WorkerError(.internalError, "\(error)")
        }
    }
}
