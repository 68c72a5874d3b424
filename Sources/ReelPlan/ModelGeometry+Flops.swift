/// Transformer FLOPs, counting `2·m·n·k` per `m×k · k×n` matrix product.
///
/// Counted per forward pass over N video tokens (d = width, L = text tokens,
/// p = latent channels × patch volume):
/// - patch embedding `2·N·p·d` and output projection `2·N·d·p`;
/// - text embedding (Wan's `Linear(text_dim, d)`, GELU, `Linear(d, d)`) over L tokens;
/// - per layer: self-attention q, k, v, o `4 · 2·N·d²`; scores and weighted sum
///   `4·N²·d`; cross-attention q, o over video tokens `2 · 2·N·d²`, k, v over text
///   tokens `2 · 2·L·d²`, scores and sum `4·N·L·d`; FFN up and down `2 · 2·N·d·f`.
///
/// Not counted, being orders of magnitude smaller: norms, RoPE, activations,
/// softmax, the timestep embedding and adaLN modulation (one vector per pass).
extension ModelGeometry {
    /// FLOPs of one forward pass over `n` video tokens (Double: totals for long
    /// 14B jobs approach Int64's range).
    public func forwardFlops(videoTokens n: Int) -> Double {
        let n = Double(n)
        let d = Double(width)
        let l = Double(textTokens)
        let f = Double(ffnWidth)
        let p = Double(latentChannels * patch.volume)
        let embed = 2 * n * p * d + 2 * n * d * p
        let text = 2 * l * Double(textDim) * d + 2 * l * d * d
        let selfAttention = 4 * (2 * n * d * d) + 4 * n * n * d
        let crossAttention = 2 * (2 * n * d * d) + 2 * (2 * l * d * d) + 4 * n * l * d
        let ffn = 2 * (2 * n * d * f)
        return embed + text + Double(layers) * (selfAttention + crossAttention + ffn)
    }
}
