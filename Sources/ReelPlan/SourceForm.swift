/// How a conditioning source's first latent frame is encoded. Wan's VAE is causal:
/// the first latent frame of an encoding stands for one pixel frame, encoded without
/// temporal context, and every later one for `stride` pixel frames; its decoder reads
/// the first latent frame it sees the same way. A pinned latent decodes correctly
/// only in the form the clip's decode reads at its place.
public enum SourceForm: String, Hashable, Sendable, Codable {
    /// The source's own encoding, latent frame 0 its first frame alone: where the
    /// pinned run starts the clip's decode (latent frame 0 of a clip decoded start to
    /// end), and for an edit, whose latents the denoiser reworks from a noised start.
    case first
    /// Latent frame 0 stands for `stride` pixel frames, all the source's first frame:
    /// the encoder is fed that frame `1 + stride` times, then the source's other
    /// frames, and the first latent frame of the result is dropped. Every pin whose
    /// run starts after latent frame 0, and every pin of a looped clip (decoded as a
    /// circle, so latent frame 0 too is `stride` pixel frames). And every source of a
    /// model whose transformer draws a clip's latent frame 0 in later form
    /// (``ModelGeometry/firstLatentForm``), whose clips decode so from the start.
    case later
}
