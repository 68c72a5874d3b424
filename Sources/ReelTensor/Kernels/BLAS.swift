import COpenBLAS
#if canImport(Glibc)
/// glibc's `int mallopt(int, int)`, which Swift's Glibc module leaves out.
@_silgen_name("mallopt") func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
#endif

/// Single-precision matrix multiply, row-major, through OpenBLAS — with the naive
/// triple loop beside it that the tests hold it to.
///
/// OpenBLAS runs single-threaded; ``Parallel`` splits rows across threads. The only
/// exception is ``measurePeak``-style code that asks OpenBLAS for its own threads.
public enum BLAS {
    /// `C[m×n] = alpha · A[m×k] · op(B) + beta · C`, where `op(B)` is `B[k×n]`,
    /// or `Bᵀ` of a stored `B[n×k]` when `transposeB`. Leading dimensions are row strides.
    @inlinable
    public static func sgemm(
        m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int, transposeB: Bool,
        beta: Float = 0,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        guard m > 0, n > 0 else { return }
        cblas_sgemm(
            CblasRowMajor, CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// The reference for ``sgemm``: a plain triple loop accumulating in Double.
    public static func naiveSgemm(
        m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int, transposeB: Bool,
        beta: Float = 0,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        for i in 0 ..< m {
            for j in 0 ..< n {
                var sum = 0.0
                for p in 0 ..< k {
                    let bv = transposeB ? b[j * ldb + p] : b[p * ldb + j]
                    sum += Double(a[i * lda + p]) * Double(bv)
                }
                let prior = beta == 0 ? 0 : Double(beta) * Double(c[i * ldc + j])
                c[i * ldc + j] = Float(Double(alpha) * sum + prior)
            }
        }
    }

    /// The number of threads OpenBLAS itself uses; the engine keeps it at 1.
    public static var openBLASThreads: Int {
        get { Int(openblas_get_num_threads()) }
        set { openblas_set_num_threads(Int32(max(1, newValue))) }
    }

    /// OpenBLAS's description of the kernel it picked for this CPU (for benchmark reports).
    public static var coreName: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }

    /// Once per process: makes OpenBLAS single-threaded (see the type's doc), and
    /// keeps freed activation buffers in the heap. glibc otherwise returns every
    /// buffer over 32 MiB to the kernel and faults it back in, zeroed, on the next
    /// layer — several percent of a forward spent in page faults.
    public static let configure: Void = {
        openblas_set_num_threads(1)
        #if canImport(Glibc)
        // <malloc.h>'s M_TRIM_THRESHOLD (-1) and M_MMAP_THRESHOLD (-3); Swift does not import them.
        _ = glibcMallopt(-1, 1 << 30)
        _ = glibcMallopt(-3, 1 << 30)
        #endif
    }()
}
