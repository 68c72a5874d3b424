import ReelTensor

/// `WanResample`: spatial ×2 up- or downsampling, optionally with a temporal one.
///
/// - `upsample2d`: nearest ×2, then a 3×3 convolution to half the channels.
/// - `upsample3d`: first `time_conv` doubles the channels and each frame becomes two
///   (output frame `2τ + s` is channel half `s` of frame τ), then as `upsample2d`.
///   A clip's first chunk skips `time_conv` and stays one frame (diffusers' `"Rep"`).
/// - `downsample2d`: one zero column/row on the right/bottom, then a stride-2 3×3.
/// - `downsample3d`: as `downsample2d`, then a stride-2 `time_conv` over the previous
///   chunk's last frame and this chunk's; a clip's first chunk skips it.
public struct WanResample: Sendable {
    public enum Mode: String, Sendable {
        case upsample2d, upsample3d, downsample2d, downsample3d
    }

    public let mode: Mode
    public var resample_1: ConvWeights  // resample.1 (C/2, C, 3, 3) upsampling, (C, C, 3, 3) downsampling
    public var time_conv: WanCausalConv3d?  // (2C, C, 3, 1, 1) upsample3d; (C, C, 3, 1, 1) stride 2 downsample3d

    init(_ p: String, channels c: Int, mode: Mode, from source: inout some WeightSource) throws(ModelError) {
        self.mode = mode
        let upsampling = mode == .upsample2d || mode == .upsample3d
        resample_1 = try ConvWeights("\(p).resample.1", in: c, out: upsampling ? c / 2 : c, kernel: [3, 3], from: &source)
        switch mode {
        case .upsample3d:
            time_conv = try WanCausalConv3d("\(p).time_conv", in: c, out: 2 * c, kernel: [3, 1, 1], padding: [1, 0, 0], from: &source)
        case .downsample3d:
            time_conv = try WanCausalConv3d("\(p).time_conv", in: c, out: c, kernel: [3, 1, 1], strideT: 2, from: &source)
        case .upsample2d, .downsample2d:
            time_conv = nil
        }
    }

    /// `x`: `(T, H, W, C)`.
    func callAsFunction(_ x: Tensor, cache: inout WanFeatureCache) throws(ModelError) -> Tensor {
        switch mode {
        case .upsample2d:
            return try resample_1(x, geometry: .same(padding: 1, upsample: 2))
        case .upsample3d:
            return try resample_1(try temporalUpsample(x, cache: &cache), geometry: .same(padding: 1, upsample: 2))
        case .downsample2d:
            return try resample_1(x, geometry: Self.downsampling)
        case .downsample3d:
            return try temporalDownsample(try resample_1(x, geometry: Self.downsampling), cache: &cache)
        }
    }

    /// `ZeroPad2d((0, 1, 0, 1))` then `Conv2d(3, stride=2)`.
    static let downsampling = Convolution.Geometry(strideH: 2, strideW: 2, padBottom: 1, padRight: 1)

    private func temporalUpsample(_ x: Tensor, cache: inout WanFeatureCache) throws(ModelError) -> Tensor {
        guard let time_conv else { return x }
        let slot = cache.next()
        let y: Tensor
        var keep = x.lastFrames(WanFeatureCache.frames)
        switch cache[slot] {
        case .empty where cache.latentFrame == 0:
            cache[slot] = .repeated
            return x
        case .empty, .repeated:
            if keep.shape[0] < WanFeatureCache.frames {
                keep = try kernel { () throws(TensorError) in try Tensor.concatenate([Tensor(zeros: keep.shape), keep]) }
            }
            y = try time_conv(x)
        case let .frames(previous):
            if keep.shape[0] < WanFeatureCache.frames {
                keep = try kernel { () throws(TensorError) in try Tensor.concatenate([previous.lastFrames(1), keep]) }
            }
            y = try time_conv(x, history: previous)
        }
        cache[slot] = .frames(keep)
        return Self.interleaveFrames(y)
    }

    /// `(T, H, W, 2C)` → `(2T, H, W, C)`: frame `2τ + s` is channels `[sC, (s+1)C)` of frame τ.
    static func interleaveFrames(_ y: Tensor) -> Tensor {
        let (frames, height, width, c2) = (y.shape[0], y.shape[1], y.shape[2], y.shape[3])
        let c = c2 / 2, pixels = height * width
        var out = Tensor(zeros: [2 * frames, height, width, c])
        out.storage.withUnsafeMutableBufferPointer { o in
            y.storage.withUnsafeBufferPointer { src in
                for t in 0 ..< frames {
                    for s in 0 ..< 2 {
                        let dst = o.baseAddress! + (2 * t + s) * pixels * c
                        let from = src.baseAddress! + t * pixels * c2 + s * c
                        for p in 0 ..< pixels { (dst + p * c).update(from: from + p * c2, count: c) }
                    }
                }
            }
        }
        return out
    }

    private func temporalDownsample(_ x: Tensor, cache: inout WanFeatureCache) throws(ModelError) -> Tensor {
        guard let time_conv else { return x }
        let slot = cache.next()
        guard case let .frames(previous) = cache[slot] else {
            cache[slot] = .frames(x)
            return x
        }
        cache[slot] = .frames(x.lastFrames(1))
        // An explicit concatenation in diffusers (the convolution has no temporal padding).
        return try time_conv.conv(x, history: previous.lastFrames(1), geometry: time_conv.geometry)
    }
}
