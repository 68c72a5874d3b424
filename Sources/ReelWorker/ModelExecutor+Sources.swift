import Foundation
import ReelModel
import ReelTensor

/// Conditioning sources encoded with the model folder's VAE (issue 16).
extension ModelExecutor {
    /// The mean of `vae.encode(frames)`, normalized with the VAE's `latents_mean` /
    /// `latents_std` as the image-to-video pipelines do (`(x − mean) · (1/std)`), so the
    /// latents are in the space the transformer denoises and can be pinned as they are.
    public func encodeSource(_ frames: Tensor, model: String) throws(WorkerError) -> Tensor {
        let vae = try vae(model)
        guard frames.rank == 4, frames.shape[0] == 3, (frames.shape[1] - 1) % vae.config.temporalStride == 0 else {
            throw WorkerError(
                .invalidInput,
                "source frames have shape \(frames.shape); model '\(model)' encodes (3, \(vae.config.temporalStride)·k + 1, H, W)")
        }
        // A batch of one: reshaping keeps the element count, so it cannot fail.
        guard let video = try? frames.reshaped([1] + frames.shape) else { throw WorkerError(.internalError, "cannot batch the source frames") }
        let latents: Tensor
        do throws(ModelError) {
            latents = try LatentNormalization(config: vae.config).normalize(try vae.encode(video))
        } catch {
            throw WorkerError(error)
        }
        guard let unbatched = try? latents.reshaped(Array(latents.shape.dropFirst())) else {
            throw WorkerError(.internalError, "the VAE returned latents of shape \(latents.shape)")
        }
        return unbatched
    }

    /// ``encodeSource(_:model:)`` of frames that arrive a few at a time: each batch goes
    /// straight into the VAE's ``WanVAE/StreamingEncoder`` (which runs the encoder as
    /// groups of frames fill), so the worker never holds the clip, only the latents;
    /// then the same normalization.
    public func encodeSource(
        model: String, frames produce: (_ feed: (Tensor) throws(WorkerError) -> Void) throws(WorkerError) -> Void
    ) throws(WorkerError) -> Tensor {
        let vae = try vae(model)
        var encoder: WanVAE.StreamingEncoder
        do throws(ModelError) { encoder = try WanVAE.StreamingEncoder(vae: vae) } catch { throw WorkerError(error) }
        try produce { batch throws(WorkerError) in
            guard batch.rank == 4, batch.shape[0] == 3 else {
                throw WorkerError(.invalidInput, "source frames have shape \(batch.shape); model '\(model)' encodes (3, n, H, W) batches")
            }
            do throws(ModelError) { try encoder.append(batch) } catch { throw WorkerError(error) }
        }
        do throws(ModelError) {
            return try LatentNormalization(config: vae.config).normalize(try encoder.finish())
        } catch {
            throw WorkerError(error)
        }
    }
}
