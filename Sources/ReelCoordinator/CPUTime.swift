#if canImport(Glibc)
import Glibc
#endif

/// CPU time consumed, as opposed to wall time: on a machine whose cores are shared
/// (with workers, PostgreSQL, other jobs) wall time also counts the time a thread
/// waited to be scheduled, so only CPU time says what the coordinator itself costs.
public enum CPUTime {
    /// CPU time of the calling thread so far.
    public static var thread: Duration { reading(CLOCK_THREAD_CPUTIME_ID) }

    /// CPU time of the whole process so far (every thread).
    public static var process: Duration { reading(CLOCK_PROCESS_CPUTIME_ID) }

    private static func reading(_ clock: clockid_t) -> Duration {
        var spec = timespec()
        guard clock_gettime(clock, &spec) == 0 else { return .zero }
        return .seconds(spec.tv_sec) + .nanoseconds(spec.tv_nsec)
    }
}
