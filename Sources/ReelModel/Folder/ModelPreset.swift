/// Named model sizes that `reel model init` can create with random weights.
public enum ModelPreset: String, Sendable, CaseIterable {
    /// Tests and demos: a forward takes milliseconds on a laptop core.
    case tiny
    /// Benchmarks: width 1024, 4 layers, Wan's head size and text width.
    case small

    public var transformer: WanTransformerConfig {
        var c = WanTransformerConfig()
        switch self {
        case .tiny:
            c.num_attention_heads = 2
            c.attention_head_dim = 16
            c.text_dim = 64
            c.freq_dim = 64
            c.ffn_dim = 128
            c.num_layers = 2
        case .small:
            c.num_attention_heads = 8
            c.attention_head_dim = 128
            c.text_dim = 4096
            c.freq_dim = 256
            c.ffn_dim = 4096
            c.num_layers = 4
        }
        c.in_channels = 16
        c.out_channels = 16
        c.rope_max_seq_len = 1024
        return c
    }

    /// The VAE `reel model init` writes beside the transformer, with Wan 2.1's latent
    /// statistics and 16 latent channels to match the transformer's `in_channels`.
    public var vae: WanVAEConfig {
        var c = WanVAEConfig()
        switch self {
        case .tiny:
            // A sixth of Wan's width and one residual block per level: a 480×832 frame
            // decodes in about a second on two cores.
            c.base_dim = 16
            c.num_res_blocks = 1
        case .small:
            // Wan 2.1's real VAE: base_dim 96, dim_mult [1, 2, 4, 4], 2 residual blocks.
            c.base_dim = 96
            c.num_res_blocks = 2
        }
        c.z_dim = 16
        c.dim_mult = [1, 2, 4, 4]
        c.temperal_downsample = [false, true, true]
        return c
    }

    /// Wan 2.1's 480p flow shift.
    public var scheduler: SchedulerConfig { SchedulerConfig(numTrainTimesteps: 1000, shift: 3.0) }
}
