#if canImport(Glibc)
import Glibc
#endif

/// Heavy work runs below the threads that serve sockets and heartbeats.
///
/// On a machine whose cores are all busy (a worker's kernels on every core, or a
/// coordinator sharing a small machine with its workers and PostgreSQL), the
/// kernel's fair scheduler gives every runnable thread the same share, so a
/// thread that only has to answer a heartbeat waits behind compute for tens or
/// hundreds of milliseconds. Linux keeps a nice value per thread: a heavy thread
/// that raises its own (which needs no privilege) leaves the serving threads at
/// the default and they run first, while the heavy thread still gets every cycle
/// nobody else wants. At `nice` 5 a thread weighs about a third of one at 0.
public enum ThreadPriority {
    /// The nice value heavy threads take: the coordinator's blend, check and
    /// store lanes, and a worker's compute threads.
    public static let heavyWorkNice: Int32 = 5

    /// Lowers the calling thread (only that thread: Linux applies `PRIO_PROCESS`
    /// with id 0 to the caller) to `nice` if it runs above it. A thread never
    /// raises itself back (that would need a privilege), so this is idempotent
    /// and cheap to call at the start of each piece of heavy work. Returns whether
    /// the thread now runs at `nice` or lower; where the system refuses (a seccomp
    /// profile), the work simply runs at the default priority.
    @discardableResult
    public static func lowerCurrentThread(to nice: Int32 = heavyWorkNice) -> Bool {
        #if os(Linux)
        let which = __priority_which_t(PRIO_PROCESS.rawValue)
        errno = 0
        let current = getpriority(which, 0)
        // -1 is a valid nice value, so errno says whether getpriority failed.
        guard errno == 0 else { return false }
        return current >= nice || setpriority(which, 0, nice) == 0
        #else
        return false
        #endif
    }

    /// Raises the calling thread to `nice` (below 0), for a thread that only
    /// serves: this needs `CAP_SYS_NICE` (root has it; a systemd unit can grant it
    /// with `AmbientCapabilities=`) or an `RLIMIT_NICE` that allows it. Returns
    /// whether it took effect; without the privilege the thread stays where it was.
    public static func raiseCurrentThread(to nice: Int32) -> Bool {
        #if os(Linux)
        let which = __priority_which_t(PRIO_PROCESS.rawValue)
        return currentThreadNice <= nice || setpriority(which, 0, nice) == 0
        #else
        return false
        #endif
    }

    /// The calling thread's nice value (0 where per-thread values are not known).
    public static var currentThreadNice: Int32 {
        #if os(Linux)
        errno = 0
        let value = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
        return errno == 0 ? value : 0
        #else
        return 0
        #endif
    }
}
