import Testing
@testable import ReelTensor

/// The im2col convolution against its naive definition, in every configuration
/// the Wan VAE uses: causal 3×3×3 with zero and cached frames, 2D stride-2
/// downsampling with right/bottom padding, temporal (3,1,1) stride-2, nearest ×2
/// upsampling folded into a 3×3, and 1×1×1.
@Suite struct ConvolutionTests {
    func maxdiff(_ name: String, _ fast: Tensor, _ reference: Tensor) -> Float {
        let diff = fast.maxAbsDifference(reference)
        let scale = max(reference.maxAbs, 1e-30)
        print("\(name): maxdiff \(diff) (relative \(diff / scale))")
        return diff / scale
    }

    struct Case: CustomStringConvertible, Sendable {
        let name: String
        let frames: Int, history: Int, zeros: Int
        let height: Int, width: Int, cin: Int, cout: Int
        let kernel: [Int]
        let geometry: Convolution.Geometry
        var description: String { name }
    }

    static let cases: [Case] = [
        Case(name: "causal 3x3x3, clip start", frames: 3, history: 0, zeros: 2, height: 5, width: 7, cin: 6, cout: 5,
             kernel: [3, 3, 3], geometry: .same(padding: 1)),
        Case(name: "causal 3x3x3, one cached frame", frames: 1, history: 1, zeros: 1, height: 4, width: 3, cin: 4, cout: 9,
             kernel: [3, 3, 3], geometry: .same(padding: 1)),
        Case(name: "causal 3x3x3, two cached frames, wide", frames: 2, history: 2, zeros: 0, height: 6, width: 40, cin: 3, cout: 4,
             kernel: [3, 3, 3], geometry: .same(padding: 1)),
        Case(name: "causal 3x3x3 over several pixel blocks", frames: 1, history: 1, zeros: 1, height: 70, width: 70, cin: 3, cout: 4,
             kernel: [3, 3, 3], geometry: .same(padding: 1)),
        Case(name: "pointwise over several pixel blocks", frames: 2, history: 0, zeros: 0, height: 33, width: 40, cin: 3, cout: 2,
             kernel: [1, 1, 1], geometry: Convolution.Geometry()),
        Case(name: "2D stride-2 downsample, odd size", frames: 2, history: 0, zeros: 0, height: 7, width: 9, cin: 5, cout: 5,
             kernel: [1, 3, 3], geometry: Convolution.Geometry(strideH: 2, strideW: 2, padBottom: 1, padRight: 1)),
        Case(name: "2D stride-2 downsample, even size", frames: 1, history: 0, zeros: 0, height: 8, width: 6, cin: 4, cout: 4,
             kernel: [1, 3, 3], geometry: Convolution.Geometry(strideH: 2, strideW: 2, padBottom: 1, padRight: 1)),
        Case(name: "temporal (3,1,1) stride 2 after a cached frame", frames: 4, history: 1, zeros: 0, height: 3, width: 5, cin: 6, cout: 6,
             kernel: [3, 1, 1], geometry: Convolution.Geometry(strideT: 2)),
        Case(name: "temporal (3,1,1) causal", frames: 2, history: 0, zeros: 2, height: 2, width: 3, cin: 4, cout: 8,
             kernel: [3, 1, 1], geometry: Convolution.Geometry()),
        Case(name: "nearest x2 then 3x3", frames: 2, history: 0, zeros: 0, height: 3, width: 4, cin: 5, cout: 3,
             kernel: [1, 3, 3], geometry: .same(padding: 1, upsample: 2)),
        Case(name: "pointwise", frames: 3, history: 0, zeros: 0, height: 4, width: 5, cin: 7, cout: 6,
             kernel: [1, 1, 1], geometry: Convolution.Geometry()),
        Case(name: "pointwise over a zero frame", frames: 1, history: 0, zeros: 1, height: 2, width: 2, cin: 3, cout: 2,
             kernel: [1, 1, 1], geometry: Convolution.Geometry()),
    ]

    @Test(arguments: cases)
    func matchesNaiveDefinition(_ c: Case) throws {
        var rng = SeededRandom(seed: UInt64(c.name.count * 31 + c.cin))
        let x = rng.uniformTensor([c.frames, c.height, c.width, c.cin])
        let history = c.history > 0 ? rng.uniformTensor([c.history, c.height, c.width, c.cin]) : nil
        let weight = rng.uniformTensor([c.cout, c.cin] + c.kernel), bias = rng.uniformTensor([c.cout])
        let packed = try ConvolutionWeights(weight: weight, bias: bias)
        let reference = try Convolution.naiveConv3d(x, history: history, leadingZeros: c.zeros, weight: weight, bias: bias, geometry: c.geometry)
        for threads in [1, 3] {
            let fast = try Parallel.withThreads(threads) {
                try Convolution.conv3d(x, history: history, leadingZeros: c.zeros, weights: packed, geometry: c.geometry)
            }
            #expect(fast.shape == reference.shape)
            #expect(maxdiff("\(c.name), \(threads) thread(s)", fast, reference) < 1e-5)
        }
    }

    @Test func outputShapesFollowPyTorch() throws {
        // Conv2d(3, stride 2) after ZeroPad2d((0,1,0,1)): H' = (H + 1 − 3) / 2 + 1.
        let w = try ConvolutionWeights(weight: Tensor(zeros: [2, 1, 3, 3]), bias: nil)
        let down = try Convolution.conv3d(
            Tensor(zeros: [1, 9, 16, 1]), weights: w,
            geometry: Convolution.Geometry(strideH: 2, strideW: 2, padBottom: 1, padRight: 1))
        #expect(down.shape == [1, 4, 8, 2])
        // A causal (3,3,3) over one frame after two zero frames keeps one frame.
        let causal = try ConvolutionWeights(weight: Tensor(zeros: [2, 1, 3, 3, 3]), bias: nil)
        #expect(try Convolution.conv3d(Tensor(zeros: [1, 4, 4, 1]), leadingZeros: 2, weights: causal, geometry: .same(padding: 1)).shape == [1, 4, 4, 2])
        // Stride-2 temporal over a cached frame and four new ones gives two frames.
        let time = try ConvolutionWeights(weight: Tensor(zeros: [1, 1, 3, 1, 1]), bias: nil)
        #expect(try Convolution.conv3d(Tensor(zeros: [4, 2, 2, 1]), history: Tensor(zeros: [1, 2, 2, 1]), weights: time, geometry: Convolution.Geometry(strideT: 2)).shape == [2, 2, 2, 1])
    }

    @Test func foldedUpsampleEqualsExplicitNearestUpsample() throws {
        var rng = SeededRandom(seed: 5)
        let x = rng.uniformTensor([2, 3, 5, 4])
        var up = Tensor(zeros: [2, 6, 10, 4])
        for f in 0 ..< 2 {
            for y in 0 ..< 6 {
                for xx in 0 ..< 10 {
                    for c in 0 ..< 4 { up.storage[((f * 6 + y) * 10 + xx) * 4 + c] = x.storage[((f * 3 + y / 2) * 5 + xx / 2) * 4 + c] }
                }
            }
        }
        let w = try ConvolutionWeights(weight: rng.uniformTensor([3, 4, 3, 3]), bias: rng.uniformTensor([3]))
        let folded = try Convolution.conv3d(x, weights: w, geometry: .same(padding: 1, upsample: 2))
        let explicit = try Convolution.conv3d(up, weights: w, geometry: .same(padding: 1))
        #expect(folded == explicit)
    }

    @Test func packingRoundTripsEveryLayout() throws {
        var rng = SeededRandom(seed: 6)
        for shape in [[4, 3, 3, 3, 3], [4, 3, 3, 3], [4, 3], [2, 5, 3, 1, 1]] {
            let w = rng.uniformTensor(shape)
            #expect(try ConvolutionWeights(weight: w, bias: nil).weight == w)
        }
    }

    @Test func badShapesAreNamed() throws {
        let w = try ConvolutionWeights(weight: Tensor(zeros: [2, 3, 3, 3, 3]), bias: nil)
        do {
            _ = try Convolution.conv3d(Tensor(zeros: [1, 4, 4, 5]), leadingZeros: 2, weights: w, geometry: .same(padding: 1))
            Issue.record("accepted 5 input channels for a 3-channel weight")
        } catch {
            #expect("\(error)".contains("[1, 4, 4, 5]"), "\(error)")
        }
        do {
            _ = try Convolution.conv3d(Tensor(zeros: [1, 4, 4, 3]), weights: w, geometry: .same(padding: 1))
            Issue.record("accepted one frame for a 3-frame kernel")
        } catch {
            #expect("\(error)".contains("1 frames"), "\(error)")
        }
        #expect(throws: TensorError.self) { try ConvolutionWeights(weight: Tensor(zeros: [2, 3, 3]), bias: nil) }
        #expect(throws: TensorError.self) { try ConvolutionWeights(weight: Tensor(zeros: [2, 3, 1, 1]), bias: Tensor(zeros: [3])) }
    }
}

/// The other kernels the VAE adds: WanRMS_norm's L2 norm, vectorised SiLU, and the
/// frame bookkeeping.
@Suite struct VideoKernelTests {
    @Test func l2NormMatchesNaiveAndF_normalize() throws {
        var rng = SeededRandom(seed: 8)
        let x = rng.uniformTensor([67, 12]), w = rng.uniformTensor([12])
        for silu in [false, true] {
            let fast = try Normalization.l2Norm(x, weight: w, silu: silu), slow = try Normalization.naiveL2Norm(x, weight: w, silu: silu)
            print("l2Norm silu=\(silu): maxdiff \(fast.maxAbsDifference(slow))")
            #expect(fast.maxAbsDifference(slow) <= 2e-6 * slow.maxAbs)
        }
        // Without a weight every row has RMS 1: ‖y‖ = √d.
        let unit = try Normalization.l2Norm(x, weight: nil)
        let row = unit.storage[0 ..< 12].reduce(0) { $0 + Double($1) * Double($1) }
        #expect(abs(row - 12) < 1e-4)
        // An all-zero row stays zero (the eps clamp), as F.normalize.
        #expect(try Normalization.l2Norm(Tensor(zeros: [1, 4]), weight: nil).storage == [0, 0, 0, 0])
    }

    @Test func siluMatchesLibmAcrossThreadsAndTails() {
        var rng = SeededRandom(seed: 9)
        var x = rng.uniformTensor([70_001], -12, 12)
        let original = x
        Activation.silu(&x)
        var worst: Float = 0
        for i in 0 ..< x.count { worst = max(worst, abs(x.storage[i] - Activation.naiveSilu(original.storage[i]))) }
        print("silu: maxdiff \(worst)")
        #expect(worst < 1e-5)
    }

    @Test func framesConcatenateAndPermute() throws {
        var rng = SeededRandom(seed: 10)
        let a = rng.uniformTensor([3, 2, 4]), b = rng.uniformTensor([1, 2, 4])
        let joined = try Tensor.concatenate([a, b])
        #expect(joined.shape == [4, 2, 4] && joined.frames(0 ..< 3) == a && joined.lastFrames(1) == b)
        #expect(a.lastFrames(5) == a)
        #expect(throws: TensorError.self) { try Tensor.concatenate([a, Tensor(zeros: [1, 2, 3])]) }
        // (C, T, H, W) → (T, H, W, C) and back, element by element.
        let x = rng.uniformTensor([3, 2, 4, 5])
        let y = try x.permuted([1, 2, 3, 0])
        #expect(y.shape == [2, 4, 5, 3])
        // y[t=1, h=2, w=3, c=1] is x[c=1, t=1, h=2, w=3].
        let yIndex = ((1 * 4 + 2) * 5 + 3) * 3 + 1, xIndex = ((1 * 2 + 1) * 4 + 2) * 5 + 3
        #expect(y.storage[yIndex] == x.storage[xIndex])
        #expect(try y.permuted([3, 0, 1, 2]) == x)
        #expect(throws: TensorError.self) { try x.permuted([0, 1, 1, 2]) }
    }

    /// The tiled transpose against the element-by-element permutation, on shapes
    /// that leave ragged tiles on both axes and at any thread count.
    @Test(arguments: [(1, 1), (33, 70), (64, 32), (5, 97)])
    func transposeMatchesPermutation(rows: Int, columns: Int) throws {
        var rng = SeededRandom(seed: UInt64(rows * 1000 + columns))
        let m = rng.uniformTensor([rows, columns])
        let t = try m.transposed()
        #expect(t.shape == [columns, rows])
        #expect(t == (try m.permuted([1, 0])))
        #expect(try t.transposed() == m)
        #expect(throws: TensorError.self) { try Tensor(zeros: [2, 3, 4]).transposed() }
    }
}
