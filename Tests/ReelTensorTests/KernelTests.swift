import Testing
@testable import ReelTensor

/// Each fast kernel against its naive reference, on shapes that exercise the
/// edges (ragged chunks, several threads, rows not a multiple of the grain).
@Suite struct KernelTests {
    /// Relative error of `fast` against `reference`, printed as the style guide asks.
    func maxdiff(_ name: String, _ fast: Tensor, _ reference: Tensor) -> Float {
        let diff = fast.maxAbsDifference(reference)
        let scale = max(reference.maxAbs, 1e-30)
        print("\(name): maxdiff \(diff) (relative \(diff / scale))")
        return diff / scale
    }

    @Test func sgemmMatchesNaiveForBothLayouts() {
        var rng = SeededRandom(seed: 1)
        for transposeB in [false, true] {
            let (m, n, k) = (37, 29, 53)
            let a = rng.uniformTensor([m, k]), b = rng.uniformTensor(transposeB ? [n, k] : [k, n])
            var fast = rng.uniformTensor([m, n]), slow = fast
            a.storage.withUnsafeBufferPointer { a in
                b.storage.withUnsafeBufferPointer { b in
                    fast.storage.withUnsafeMutableBufferPointer { c in
                        BLAS.sgemm(m: m, n: n, k: k, alpha: 0.5, a: a.baseAddress!, lda: k, b: b.baseAddress!,
                                   ldb: transposeB ? k : n, transposeB: transposeB, beta: 2, c: c.baseAddress!, ldc: n)
                    }
                    slow.storage.withUnsafeMutableBufferPointer { c in
                        BLAS.naiveSgemm(m: m, n: n, k: k, alpha: 0.5, a: a.baseAddress!, lda: k, b: b.baseAddress!,
                                        ldb: transposeB ? k : n, transposeB: transposeB, beta: 2, c: c.baseAddress!, ldc: n)
                    }
                }
            }
            #expect(maxdiff("sgemm transB=\(transposeB)", fast, slow) < 1e-5)
        }
    }

    @Test(arguments: [1, 2, 3])
    func linearMatchesNaiveAtAnyThreadCount(threads: Int) throws {
        try Parallel.withThreads(threads) {
            var rng = SeededRandom(seed: 2)
            let x = rng.uniformTensor([77, 40]), w = rng.uniformTensor([24, 40]), b = rng.uniformTensor([24])
            let naive = try Linear.naive(x, weight: w, bias: b)
            let fast = try Linear.forward(x, weight: w, bias: b)
            #expect(fast.shape == [77, 24])
            #expect(maxdiff("linear threads=\(threads)", fast, naive) < 1e-5)
            let transposed = try Linear.forward(x, weight: w.permuted([1, 0]), layout: .inOut, bias: b)
            #expect(maxdiff("linear (in, out) threads=\(threads)", transposed, naive) < 1e-5)
            let unbiased = try Linear.forward(x, weight: w.permuted([1, 0]), layout: .inOut, bias: nil)
            #expect(maxdiff("linear without bias threads=\(threads)", unbiased, try Linear.naive(x, weight: w, bias: nil)) < 1e-5)
            #expect(try Linear.forward(Tensor(zeros: [0, 40]), weight: w, bias: b).shape == [0, 24])
        }
    }

    /// One row into a narrow layer (a timestep embedding): every output written.
    @Test(arguments: [(1, 8), (1, 12), (3, 40), (16, 5)])
    func linearCoversNarrowAndShortShapes(rows: Int, out: Int) throws {
        var rng = SeededRandom(seed: UInt64(rows * 100 + out))
        let x = rng.uniformTensor([rows, 7]), w = rng.uniformTensor([out, 7]), b = rng.uniformTensor([out])
        #expect(maxdiff("linear \(rows)x\(out)", try Linear.forward(x, weight: w, bias: b), try Linear.naive(x, weight: w, bias: b)) < 1e-5)
    }

    /// Several row blocks with a shorter last one (2,100 rows: 8 blocks of 272, the
    /// last 196), right against the reference and the same bits at any thread count:
    /// the blocks depend on the rows alone, since OpenBLAS's Haswell kernels round a
    /// row by the rows in its call, and a clip must not change with a worker's threads.
    @Test func linearGivesTheSameBitsAtAnyThreadCount() throws {
        #expect(Linear.rowBlock(2100) == 272 && Linear.rowBlock(100) == 256 && Linear.rowBlock(1024) == 256)
        var rng = SeededRandom(seed: 21)
        let x = rng.uniformTensor([2100, 48]), w = rng.uniformTensor([40, 48]), b = rng.uniformTensor([40])
        let runs = try [1, 2, 3].map { threads in try Parallel.withThreads(threads) { try Linear.forward(x, weight: w, bias: b) } }
        #expect(maxdiff("linear 2100 rows, 8 blocks", runs[0], try Linear.naive(x, weight: w, bias: b)) < 1e-5)
        #expect(runs[1].storage == runs[0].storage && runs[2].storage == runs[0].storage, "threads 2 and 3 against 1")
    }

    @Test func linearRejectsMismatchedShapesNamingThem() {
        let x = Tensor(zeros: [3, 5]), w = Tensor(zeros: [4, 6])
        #expect(throws: TensorError.shapeMismatch(what: "linear input", expected: [3, 6], actual: [3, 5])) {
            try Linear.forward(x, weight: w, bias: nil)
        }
        #expect(throws: TensorError.shapeMismatch(what: "linear input", expected: [3, 4], actual: [3, 5])) {
            try Linear.forward(x, weight: w, layout: .inOut, bias: nil)
        }
    }

    @Test(arguments: [(7, 5, 1, 8), (300, 1100, 2, 16), (129, 513, 3, 12), (1100, 600, 2, 8)])
    func chunkedAttentionMatchesFullSoftmax(nq: Int, nk: Int, heads: Int, d: Int) throws {
        var rng = SeededRandom(seed: UInt64(nq * nk))
        // Scores spread over a wide range so the running max changes between key chunks.
        let q = rng.uniformTensor([nq, heads * d], -3, 3), k = rng.uniformTensor([nk, heads * d], -3, 3)
        let v = rng.uniformTensor([nk, heads * d])
        let fast = try Attention.forward(q: q, k: k, v: v, heads: heads)
        let slow = try Attention.naive(q: q, k: k, v: v, heads: heads)
        #expect(maxdiff("attention \(nq)x\(nk) h\(heads) d\(d)", fast, slow) < 1e-5)
    }

    @Test func attentionScratchDoesNotGrowWithTokens() {
        // The per-thread tile is fixed; this is what keeps 32k-token forwards in memory.
        let scratch = Attention.Scratch(rows: Attention.queryChunk, keys: Attention.keyChunk)
        #expect(scratch.scores.count == Attention.queryChunk * Attention.keyChunk)
        #expect(scratch.scores.count * 4 <= 1 << 20)
    }

    /// Widths with and without a ragged SIMD tail, past one Double fold, and rows
    /// whose mean dwarfs their spread (where E[x²] − E[x]² would cancel).
    @Test(arguments: [(48, Float(0)), (5, 0), (1027, 0), (300, 1000)])
    func normsMatchNaive(width: Int, offset: Float) throws {
        var rng = SeededRandom(seed: UInt64(width))
        let x = rng.uniformTensor([65, width], offset - 4, offset + 6)
        let w = rng.uniformTensor([width]), b = rng.uniformTensor([width])
        #expect(maxdiff("layer norm d=\(width)", try Normalization.layerNorm(x, weight: w, bias: b, eps: 1e-6),
                        try Normalization.naiveLayerNorm(x, weight: w, bias: b, eps: 1e-6)) < 1e-6)
        #expect(maxdiff("layer norm (no affine) d=\(width)", try Normalization.layerNorm(x, weight: nil, bias: nil, eps: 1e-5),
                        try Normalization.naiveLayerNorm(x, weight: nil, bias: nil, eps: 1e-5)) < 1e-6)
        #expect(maxdiff("rms norm d=\(width)", try Normalization.rmsNorm(x, weight: w, eps: 1e-6),
                        try Normalization.naiveRMSNorm(x, weight: w, eps: 1e-6)) < 1e-6)
    }

    @Test func layerNormOfAConstantRowIsZero() throws {
        let y = try Normalization.layerNorm(Tensor(zeros: [2, 16], value: 3), weight: nil, bias: nil, eps: 1e-6)
        #expect(y.maxAbs == 0)
    }

    @Test func fastExpIsWithinFewUlps() {
        var worstExp: Float = 0
        var x: Float = -87
        while x < 88 {
            let e = VectorMath.exp(x), r = VectorMath.naiveExp(x)
            worstExp = max(worstExp, abs(e - r) / r)
            x += 0.0137
        }
        print("exp: worst relative error \(worstExp)")
        #expect(worstExp < 5e-7)
        #expect(VectorMath.exp(-200) == 0 || VectorMath.exp(-200) < 1e-37)
        #expect(VectorMath.exp(0) == 1)
    }

    @Test func fastExp2IsWithinFewUlpsDownToTheSmallestNormal() {
        var worst: Float = 0
        var x: Float = -126
        while x <= 0 {
            let e = VectorMath.exp2(x), r = VectorMath.naiveExp2(x)
            worst = max(worst, abs(e - r) / r)
            x += 0.00731
        }
        print("exp2: worst relative error \(worst)")
        #expect(worst < 3e-7)
        #expect(VectorMath.exp2(0) == 1 && VectorMath.exp2(-1) == 0.5 && VectorMath.exp2(-126) == .leastNormalMagnitude)
        #expect(VectorMath.exp2(-1000) == .leastNormalMagnitude)
    }

    @Test(arguments: [0, 1, 7, 8, 9, 515])
    func softmaxRowHelpersMatchScalarLoops(count: Int) {
        var rng = SeededRandom(seed: UInt64(count))
        var row = (0 ..< count).map { _ in rng.uniform(-30, 30) }
        let original = row
        let naiveMax = original.reduce(-Float.infinity) { max($0, $1) }
        let m = row.withUnsafeMutableBufferPointer { VectorMath.maximum($0) }
        #expect(m == naiveMax)
        let sum = row.withUnsafeMutableBufferPointer { VectorMath.exp2ShiftedSum($0, shift: m) }
        var naiveSum = 0.0
        for (i, v) in original.enumerated() {
            let e = VectorMath.naiveExp2(v - m)
            #expect(abs(row[i] - e) <= e * 5e-7)
            naiveSum += Double(e)
        }
        #expect(abs(Double(sum) - naiveSum) <= naiveSum * 1e-6)
    }

    @Test func activationsMatchNaive() {
        var rng = SeededRandom(seed: 4)
        var x = rng.uniformTensor([3, 1500], -6, 6)
        let original = x
        Activation.geluTanh(&x)
        var worst: Float = 0
        for i in 0 ..< x.count { worst = max(worst, abs(x.storage[i] - Activation.naiveGeluTanh(original.storage[i]))) }
        var s = original
        Activation.silu(&s)
        var worstSilu: Float = 0
        for i in 0 ..< s.count { worstSilu = max(worstSilu, abs(s.storage[i] - Activation.naiveSilu(original.storage[i]))) }
        print("gelu maxdiff \(worst), silu maxdiff \(worstSilu)")
        #expect(worst < 2e-6)
        #expect(worstSilu < 2e-6)
    }

    @Test func rotaryMatchesComplexReferenceAndPreservesNorm() throws {
        var rng = SeededRandom(seed: 5)
        let heads = 3, half = 4, n = 10
        let x = rng.uniformTensor([n, heads * half * 2])
        let angles = rng.uniformTensor([n, half], -7, 7)
        let cos = try Tensor(shape: [n, half], storage: angles.storage.map { Foundation_cos($0) })
        let sin = try Tensor(shape: [n, half], storage: angles.storage.map { Foundation_sin($0) })
        var fast = x
        try Rotary.apply(&fast, cos: cos, sin: sin, heads: heads)
        #expect(maxdiff("rotary", fast, try Rotary.naive(x, cos: cos, sin: sin, heads: heads)) < 1e-6)
        let before = x.storage.reduce(0) { $0 + $1 * $1 }, after = fast.storage.reduce(0) { $0 + $1 * $1 }
        #expect(abs(before - after) / before < 1e-5)
    }
}

#if canImport(Glibc)
import Glibc
func Foundation_cos(_ x: Float) -> Float { Glibc.cosf(x) }
func Foundation_sin(_ x: Float) -> Float { Glibc.sinf(x) }
#endif
