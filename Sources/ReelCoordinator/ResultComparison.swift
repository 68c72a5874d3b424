/// How two workers' results for one shard are compared when their bytes differ.
///
/// Measured (`EngineDeterminismTests`, README "Verified results"): one process
/// gives the same bits every time; every OpenBLAS kernel family gives the same
/// bits at any thread count (the Haswell family, what Zen CPUs get, did not until
/// the engine's GEMM row blocks stopped depending on the thread count); and
/// different families differ in the last bits. So SHA-256 equality decides
/// between workers with the same kernel family, and a result from another family
/// agrees when no value differs by more than ``crossKernelTolerance``.
public enum ResultComparison {
    /// The largest absolute difference between two honest results from different
    /// kernel families. Measured differences on the test job are below 1e-5
    /// (`EngineDeterminismTests`); a poisoned result that changes any value by
    /// more than this is caught, and one that changes none by more is a rounding
    /// difference that no blend can amplify into a visible change.
    public static let crossKernelTolerance: Float = 1e-3

    /// Whether `a` and `b` agree within the tolerance, with the largest absolute
    /// difference (infinite for different lengths or a non-finite value).
    public static func compare(_ a: [Float], _ b: [Float]) -> (agree: Bool, maxdiff: Float) {
        guard a.count == b.count else { return (false, .infinity) }
        var maxdiff: Float = 0
        for i in a.indices {
            let d = abs(a[i] - b[i])
            guard d.isFinite else { return (false, .infinity) }
            maxdiff = max(maxdiff, d)
        }
        return (maxdiff <= crossKernelTolerance, maxdiff)
    }
}
