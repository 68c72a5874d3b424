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
        let (t, h, w, channels) = (1 + (n - 1) / stride, height / s, width / s, geometry.latentChannels)
        var out = [Float](repeating: 0, count: channels * t * h * w)
        let plane = height * width
        for c in 0 ..< channels {
            for f in 0 ..< t {
                let source = (c % 3) * n * plane + (f * stride) * plane
                for y in 0 ..< h {
                    for x in 0 ..< w {
                        var sum: Float = 0
                        for dy in 0 ..< s {
                            for dx in 0 ..< s { sum += frames.storage[source + (y * s + dy) * width + x * s + dx] }
                        }
                        out[((c * t + f) * h + y) * w + x] = sum / Float(s * s)
                    }
                }
            }
        }
        do { return try Tensor(shape: [channels, t, h, w], storage: out) } catch {
            throw WorkerError(.internalError, "\(error)")
        }
    }
}
