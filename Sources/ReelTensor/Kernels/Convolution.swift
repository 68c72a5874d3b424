/// 3D convolution over channels-last video `(T, H, W, C)` as im2col + one GEMM per
/// block of output pixels, with the naive loop beside it that the tests hold it to.
///
/// The temporal axis is given as a sequence: `leadingZeros` zero frames, then the
/// frames of `history`, then those of `x`. That is the shape of every causal
/// convolution with a frame cache — zero padding at the clip's start, cached frames
/// from the previous chunk afterwards — without concatenating anything.
public enum Convolution {
    /// Strides, spatial zero padding, and an optional nearest-neighbour upsampling of
    /// the input folded into the gather (so `upsample: 2` then a 3×3 convolution never
    /// materialises the four-times-larger input).
    public struct Geometry: Sendable, Equatable {
        public var strideT: Int
        public var strideH: Int
        public var strideW: Int
        public var padTop: Int
        public var padBottom: Int
        public var padLeft: Int
        public var padRight: Int
        /// Each input pixel is repeated `upsample × upsample` times before the convolution.
        public var upsample: Int

        public init(
            strideT: Int = 1, strideH: Int = 1, strideW: Int = 1,
            padTop: Int = 0, padBottom: Int = 0, padLeft: Int = 0, padRight: Int = 0, upsample: Int = 1
        ) {
            (self.strideT, self.strideH, self.strideW) = (strideT, strideH, strideW)
            (self.padTop, self.padBottom, self.padLeft, self.padRight) = (padTop, padBottom, padLeft, padRight)
            self.upsample = upsample
        }

        /// Stride 1 and `padding` zeros on every spatial side.
        public static func same(padding: Int, upsample: Int = 1) -> Geometry {
            Geometry(padTop: padding, padBottom: padding, padLeft: padding, padRight: padding, upsample: upsample)
        }
    }

    /// Output pixels per GEMM: an im2col block of about 1 MiB (it stays in L2 between the
    /// gather and OpenBLAS's packing), but at least four rows per output channel, since
    /// OpenBLAS repacks the whole weight matrix on every call (a 384-channel 3×3×3
    /// weight is 16 MiB). Tuned on the tiny and real Wan VAE decoders.
    static func blockPixels(columns: Int, outChannels: Int) -> Int {
        max(blockMinimum, min(4096, max(blockWeightMultiple * outChannels, blockFloats / max(columns, 1))))
    }
    static let blockMinimum = 64
    static let blockWeightMultiple = 4
    static let blockFloats = 1 << 18

    /// The convolution of the sequence `leadingZeros` zero frames ++ `history` ++ `x`.
    /// - Parameters:
    ///   - x: `(T, H, W, C_in)`
    ///   - history: `(P, H, W, C_in)` frames that precede `x`, or nil
    ///   - weights: packed weights; output frame τ reads sequence frames `τ·strideT ..< τ·strideT + k_t`
    /// - Returns: `(T_out, H_out, W_out, C_out)`
    public static func conv3d(
        _ x: Tensor, history: Tensor? = nil, leadingZeros: Int = 0, weights: ConvolutionWeights,
        geometry g: Geometry = Geometry()
    ) throws(TensorError) -> Tensor {
        let p = try Plan(x, history: history, leadingZeros: leadingZeros, kernel: weights.kernel, inChannels: weights.inChannels, geometry: g)
        _ = BLAS.configure
        let cout = weights.outChannels, k = p.columns
        var out = Tensor.uninitialized([p.tOut, p.hOut, p.wOut, cout])
        let pixels = p.hOut * p.wOut
        let pointwise = weights.taps == 1 && g == Geometry(strideT: g.strideT)
        let block = pointwise ? 1024 : blockPixels(columns: k, outChannels: cout)
        let blocks = (pixels + block - 1) / block
        x.storage.withUnsafeBufferPointer { xp in
            (history?.storage ?? []).withUnsafeBufferPointer { hp in
                weights.packed.storage.withUnsafeBufferPointer { wp in
                    out.storage.withUnsafeMutableBufferPointer { op in
                        let frameSize = p.height * p.width * p.cin
                        var frames = [UnsafePointer<Float>?](repeating: nil, count: leadingZeros)
                        for f in 0 ..< p.historyFrames { frames.append(hp.baseAddress! + f * frameSize) }
                        for f in 0 ..< p.frames { frames.append(xp.baseAddress! + f * frameSize) }
                        let shared = UncheckedSendable((frames, wp.baseAddress!, op.baseAddress!))
                        Parallel.forRanges(p.tOut * blocks) { tasks in
                            let (frames, w, o) = shared.value
                            // The gather writes every element, padding zeros included.
                            var col = [Float](unsafeUninitializedCapacity: pointwise ? 0 : block * k) { _, n in n = pointwise ? 0 : block * k }
                            col.withUnsafeMutableBufferPointer { colBuffer in
                                for task in tasks {
                                    let tau = task / blocks, p0 = (task % blocks) * block
                                    let n = min(block, pixels - p0)
                                    let c = o + (tau * pixels + p0) * cout
                                    let a: UnsafePointer<Float>
                                    if pointwise {
                                        guard let frame = frames[tau * g.strideT] else {
                                            fillBias(c, rows: n, bias: weights.bias, channels: cout)
                                            continue
                                        }
                                        a = frame + p0 * p.cin
                                    } else {
                                        p.gather(frames, frame: tau, pixels: p0 ..< p0 + n, into: colBuffer.baseAddress!)
                                        a = UnsafePointer(colBuffer.baseAddress!)
                                    }
                                    BLAS.sgemm(m: n, n: cout, k: k, a: a, lda: k, b: w, ldb: k, transposeB: true, c: c, ldc: cout)
                                    if let bias = weights.bias { addBias(c, rows: n, bias: bias, channels: cout) }
                                }
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    private static func addBias(_ c: UnsafeMutablePointer<Float>, rows: Int, bias: Tensor, channels: Int) {
        bias.storage.withUnsafeBufferPointer { b in
            for r in 0 ..< rows {
                let row = c + r * channels
                for j in 0 ..< channels { row[j] += b[j] }
            }
        }
    }

    private static func fillBias(_ c: UnsafeMutablePointer<Float>, rows: Int, bias: Tensor?, channels: Int) {
        for r in 0 ..< rows {
            for j in 0 ..< channels { c[r * channels + j] = bias?.storage[j] ?? 0 }
        }
    }

    /// Reference for ``conv3d(_:history:leadingZeros:weights:geometry:)``: the definition
    /// in Double, on an explicitly zero-padded, upsampled input sequence, with the
    /// weight in PyTorch's `(C_out, C_in, k_t, k_h, k_w)` layout.
    public static func naiveConv3d(
        _ x: Tensor, history: Tensor?, leadingZeros: Int, weight: Tensor, bias: Tensor?, geometry g: Geometry
    ) throws(TensorError) -> Tensor {
        guard weight.rank == 5 else { throw .invalidArgument("naive conv3d takes a (C_out, C_in, k_t, k_h, k_w) weight, got \(weight.shape)") }
        let (cout, cin, kt, kh, kw) = (weight.shape[0], weight.shape[1], weight.shape[2], weight.shape[3], weight.shape[4])
        let p = try Plan(x, history: history, leadingZeros: leadingZeros, kernel: [kt, kh, kw], inChannels: cin, geometry: g)
        // The padded, upsampled sequence as Doubles: (frames, Hp, Wp, C).
        let hp = p.height * g.upsample + g.padTop + g.padBottom, wpad = p.width * g.upsample + g.padLeft + g.padRight
        let sequence = leadingZeros + p.historyFrames + p.frames
        var padded = [Double](repeating: 0, count: sequence * hp * wpad * cin)
        for f in leadingZeros ..< sequence {
            let source = f < leadingZeros + p.historyFrames ? history! : x
            let sf = f < leadingZeros + p.historyFrames ? f - leadingZeros : f - leadingZeros - p.historyFrames
            for y in 0 ..< p.height * g.upsample {
                for xx in 0 ..< p.width * g.upsample {
                    for c in 0 ..< cin {
                        let v = source.storage[((sf * p.height + y / g.upsample) * p.width + xx / g.upsample) * cin + c]
                        padded[((f * hp + y + g.padTop) * wpad + xx + g.padLeft) * cin + c] = Double(v)
                    }
                }
            }
        }
        var out = Tensor(zeros: [p.tOut, p.hOut, p.wOut, cout])
        for t in 0 ..< p.tOut {
            for y in 0 ..< p.hOut {
                for xx in 0 ..< p.wOut {
                    for o in 0 ..< cout {
                        var sum = Double(bias?.storage[o] ?? 0)
                        for a in 0 ..< kt {
                            for b in 0 ..< kh {
                                for c in 0 ..< kw {
                                    let base = (((t * g.strideT + a) * hp + y * g.strideH + b) * wpad + xx * g.strideW + c) * cin
                                    for i in 0 ..< cin {
                                        sum += padded[base + i] * Double(weight.storage[(((o * cin + i) * kt + a) * kh + b) * kw + c])
                                    }
                                }
                            }
                        }
                        out.storage[((t * p.hOut + y) * p.wOut + xx) * cout + o] = Float(sum)
                    }
                }
            }
        }
        return out
    }
}

/// The checked shapes of one convolution call and its im2col gather.
struct ConvolutionPlan {
    let frames: Int, historyFrames: Int, height: Int, width: Int, cin: Int
    let kernel: [Int]
    let geometry: Convolution.Geometry
    let tOut: Int, hOut: Int, wOut: Int
    var columns: Int { kernel.reduce(1, *) * cin }

    init(
        _ x: Tensor, history: Tensor?, leadingZeros: Int, kernel: [Int], inChannels: Int, geometry g: Convolution.Geometry
    ) throws(TensorError) {
        guard x.rank == 4, x.shape[3] == inChannels, x.shape[1] > 0, x.shape[2] > 0 else {
            throw .invalidArgument("convolution input must be (T, H, W, \(inChannels)) with H, W > 0, got \(x.shape)")
        }
        if let history, history.rank != 4 || Array(history.shape.dropFirst()) != Array(x.shape.dropFirst()) {
            throw .shapeMismatch(what: "convolution history", expected: [history.shape.first ?? 0] + x.shape.dropFirst(), actual: history.shape)
        }
        guard [g.strideT, g.strideH, g.strideW, g.upsample].allSatisfy({ $0 >= 1 }), leadingZeros >= 0,
            [g.padTop, g.padBottom, g.padLeft, g.padRight].allSatisfy({ $0 >= 0 })
        else { throw .invalidArgument("convolution strides and upsampling must be ≥ 1 and paddings ≥ 0, got \(g)") }
        (frames, historyFrames, height, width, cin) = (x.shape[0], history?.shape[0] ?? 0, x.shape[1], x.shape[2], inChannels)
        self.kernel = kernel
        geometry = g
        let sequence = leadingZeros + historyFrames + frames
        let hp = height * g.upsample + g.padTop + g.padBottom, wp = width * g.upsample + g.padLeft + g.padRight
        guard sequence >= kernel[0], hp >= kernel[1], wp >= kernel[2] else {
            throw .invalidArgument(
                "convolution kernel \(kernel) is larger than its padded input: \(sequence) frames of \(hp)×\(wp)")
        }
        tOut = (sequence - kernel[0]) / g.strideT + 1
        hOut = (hp - kernel[1]) / g.strideH + 1
        wOut = (wp - kernel[2]) / g.strideW + 1
    }

    /// Writes the im2col rows of output pixels `pixels` of output frame `tau` to `col`:
    /// one row of `k_t·k_h·k_w·C_in` per pixel, zeros where a tap falls in padding or a
    /// missing (nil) frame.
    func gather(_ frames: [UnsafePointer<Float>?], frame tau: Int, pixels: Range<Int>, into col: UnsafeMutablePointer<Float>) {
        let g = geometry, (kt, kh, kw) = (kernel[0], kernel[1], kernel[2])
        let (hu, wu, u) = (height * g.upsample, width * g.upsample, g.upsample)
        var dst = col
        for pixel in pixels {
            let oy = pixel / wOut, ox = pixel % wOut
            let x0 = ox * g.strideW - g.padLeft
            // Whole kernel row inside the frame and no upsampling: one copy per (t, h) tap row.
            let contiguous = u == 1 && x0 >= 0 && x0 + kw <= wu
            for a in 0 ..< kt {
                let frame = frames[tau * g.strideT + a]
                for b in 0 ..< kh {
                    let uy = oy * g.strideH + b - g.padTop
                    guard let frame, uy >= 0, uy < hu else {
                        dst.update(repeating: 0, count: kw * cin)
                        dst += kw * cin
                        continue
                    }
                    let row = frame + (uy / u) * width * cin
                    if contiguous {
                        dst.update(from: row + x0 * cin, count: kw * cin)
                        dst += kw * cin
                        continue
                    }
                    for c in 0 ..< kw {
                        let ux = x0 + c
                        if ux >= 0, ux < wu {
                            dst.update(from: row + (ux / u) * cin, count: cin)
                        } else {
                            dst.update(repeating: 0, count: cin)
                        }
                        dst += cin
                    }
                }
            }
        }
    }
}

extension Convolution {
    typealias Plan = ConvolutionPlan
}
