import ReelTensor

/// `WanCausalConv3d`: a Conv3d padded with `2·p_t` zero frames in front (none
/// behind) and `p_h`, `p_w` on the spatial sides. Cached frames from the previous
/// chunk take the place of as many zero frames.
public struct WanCausalConv3d: Sendable {
    public var conv: ConvWeights  // weight (C_out, C_in, k_t, k_h, k_w), bias (C_out)
    /// Zero frames in front of a cacheless call.
    let causalFrames: Int
    let geometry: Convolution.Geometry

    public var weight: Tensor { conv.weight }
    public var bias: Tensor { conv.bias }

    init(
        _ prefix: String, in inChannels: Int, out: Int, kernel: [Int], padding: [Int] = [0, 0, 0], strideT: Int = 1,
        from source: inout some WeightSource
    ) throws(ModelError) {
        conv = try ConvWeights(prefix, in: inChannels, out: out, kernel: kernel, from: &source)
        causalFrames = 2 * padding[0]
        var g = Convolution.Geometry.same(padding: padding[1])
        (g.padLeft, g.padRight, g.strideT) = (padding[2], padding[2], strideT)
        geometry = g
    }

    /// `forward(x, cache_x)`: `history` replaces that many leading zero frames; a
    /// convolution without temporal padding ignores it, as diffusers' does.
    func callAsFunction(_ x: Tensor, history: Tensor? = nil) throws(ModelError) -> Tensor {
        guard causalFrames > 0, let history else { return try conv(x, leadingZeros: causalFrames, geometry: geometry) }
        return try conv(x, history: history, leadingZeros: causalFrames - history.shape[0], geometry: geometry)
    }

    /// The step diffusers repeats at every cached call site: run on this slot's frames,
    /// then keep the input's last two frames (topped up with the previous last frame
    /// when the input has only one).
    func callAsFunction(_ x: Tensor, cache: inout WanFeatureCache) throws(ModelError) -> Tensor {
        let slot = cache.next()
        var previous: Tensor? = nil
        if case let .frames(old) = cache[slot] { previous = old }
        var keep = x.lastFrames(WanFeatureCache.frames)
        if keep.shape[0] < WanFeatureCache.frames, let previous {
            keep = try kernel { () throws(TensorError) in try Tensor.concatenate([previous.lastFrames(1), keep]) }
        }
        let y = try self(x, history: previous)
        cache[slot] = .frames(keep)
        return y
    }
}
