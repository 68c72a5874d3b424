import Dispatch

/// How many threads the engine's kernels use, and the loop that spreads work over them.
///
/// OpenBLAS is kept single-threaded (see ``BLAS``) and the engine partitions work
/// itself: one decision point for threads, no oversubscription when the attention
/// loop and a GEMM would otherwise both spawn threads, and a row of a result is
/// computed the same way whatever the thread count.
public enum Parallel {
    nonisolated(unsafe) private static var _threads = defaultThreadCount()

    /// The number of threads kernels split their work over (≥ 1): this thread's own
    /// count inside ``withThreads(_:_:)``, else the process's. Setting it sets the
    /// process's.
    public static var threads: Int {
        get { threadOverride ?? _threads }
        set { _threads = max(1, newValue) }
    }

    /// The key of a thread's own count (0: none).
    private static let overrideKey: pthread_key_t = {
        var key = pthread_key_t()
        // Not inside `precondition`: this module builds with -Ounchecked, which drops its condition.
        let status = pthread_key_create(&key, nil)
        if status != 0 { fatalError("Parallel: pthread_key_create failed (\(status)); no thread-specific key left") }
        return key
    }()

    /// This thread's own count, if ``withThreads(_:_:)`` set one.
    static var threadOverride: Int? {
        let count = Int(bitPattern: pthread_getspecific(overrideKey))
        return count > 0 ? count : nil
    }

    /// Runs `body` with the kernels it calls on this thread (and their helper
    /// threads) split over `count` threads, whatever other threads use. A worker's
    /// compute thread sets its own: several workers in one process, as in the tests,
    /// once changed each other's count mid-decode, and while the kernels' blocks were
    /// a thread's share (they now depend on the shapes alone) that changed the bits.
    public static func withThreads<R, E: Error>(_ count: Int, _ body: () throws(E) -> R) throws(E) -> R {
        let previous = pthread_getspecific(overrideKey)
        pthread_setspecific(overrideKey, UnsafeRawPointer(bitPattern: max(1, count)))
        defer { pthread_setspecific(overrideKey, previous) }
        return try body()
    }

    static func defaultThreadCount() -> Int {
        let cores = sysconf(Int32(_SC_NPROCESSORS_ONLN))
        return max(1, Int(cores))
    }

    /// Calls `body` with disjoint contiguous ranges that together cover `0..<count`,
    /// concurrently on up to ``threads`` threads. `grain` is the smallest range worth a thread.
    public static func forRanges(_ count: Int, grain: Int = 1, _ body: (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let parts = min(threads, max(1, count / max(grain, 1)))
        if parts == 1 {
            body(0 ..< count)
            return
        }
        // Helper threads run at the caller's priority: a worker's compute thread
        // runs below its heartbeats (see ThreadPriority), and so must its helpers.
        let callerNice = ThreadPriority.currentThreadNice
        // Kernels nested in `body` split as the caller's do.
        let callerThreads = threads
        withoutActuallyEscaping(body) { body in
            let box = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: parts) { part in
                if callerNice > 0 { ThreadPriority.lowerCurrentThread(to: callerNice) }
                let lo = count * part / parts
                let hi = count * (part + 1) / parts
                if lo < hi { withThreads(callerThreads) { box.value(lo ..< hi) } }
            }
        }
    }

    /// Calls `body(i)` for every `i` in `0..<count`, spread over ``threads`` threads.
    public static func forEach(_ count: Int, _ body: (Int) -> Void) {
        forRanges(count) { range in
            for i in range { body(i) }
        }
    }
}

/// Carries a value into a concurrent closure whose safety the caller guarantees
/// (disjoint writes into one buffer, read-only sharing).
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
