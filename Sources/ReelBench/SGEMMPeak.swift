import Foundation
import ReelTensor

/// This machine's single-precision GEMM throughput, measured now: the
/// denominator of every efficiency ratio Reel reports, so noise on a shared
/// machine moves numerator and denominator together.
public enum SGEMMPeak {
    /// Best-of-`repeats` GFLOP/s of an `n³` sgemm with OpenBLAS using `threads` threads.
    public static func measure(threads: Int, n: Int = 2048, repeats: Int = 3) -> Double {
        let saved = BLAS.openBLASThreads
        BLAS.openBLASThreads = threads
        defer { BLAS.openBLASThreads = saved }
        var rng = SeededRandom(seed: 11)
        let a = rng.uniformTensor([n, n]), b = rng.uniformTensor([n, n])
        var c = Tensor(zeros: [n, n])
        var best = 0.0
        for _ in 0 ..< repeats + 1 {
            let start = DispatchTime.now().uptimeNanoseconds
            a.storage.withUnsafeBufferPointer { a in
                b.storage.withUnsafeBufferPointer { b in
                    c.storage.withUnsafeMutableBufferPointer { c in
                        BLAS.sgemm(m: n, n: n, k: n, a: a.baseAddress!, lda: n, b: b.baseAddress!, ldb: n, transposeB: true,
                                   c: c.baseAddress!, ldc: n)
                    }
                }
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            best = max(best, 2 * Double(n) * Double(n) * Double(n) / seconds / 1e9)
        }
        return best
    }
}
