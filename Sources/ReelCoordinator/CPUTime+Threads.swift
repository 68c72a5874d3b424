import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// CPU time per thread of this process, by the threads' names, so that a
/// benchmark can say which thread limits the coordinator's throughput: the loop
/// and each lane are one thread each, and on a machine with a core for each, the
/// busiest of them, not their sum, bounds how many shards a second it can serve.
extension CPUTime {
    /// Names the calling thread for the kernel (`/proc`, `top -H`, `perf`): at
    /// most 15 bytes are kept. Foundation's `Thread.name` does not reach the kernel.
    /// (Through `/proc/thread-self/comm`, since Glibc's `pthread_setname_np` is not
    /// visible to Swift; a kernel without it leaves the name as it was.)
    public static func nameCurrentThread(_ name: String) {
        let short = Data(name.utf8.prefix(15))
        guard let handle = FileHandle(forWritingAtPath: "/proc/thread-self/comm") else { return }
        defer { try? handle.close() }
        try? handle.write(contentsOf: short)
    }

    /// CPU time (user + system) of every live thread of this process, summed by
    /// thread name, from `/proc/self/task/*/stat` (clock-tick resolution, 10 ms).
    public static func byThreadName() -> [String: Duration] {
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        guard ticks > 0, let tasks = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task") else { return [:] }
        var totals: [String: Duration] = [:]
        for task in tasks {
            guard let stat = try? String(contentsOfFile: "/proc/self/task/\(task)/stat", encoding: .utf8),
                let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")")
            else { continue }
            let name = String(stat[stat.index(after: open) ..< close])
            // After the name: state (field 3) ... utime (14), stime (15).
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { continue }
            totals[name, default: .zero] += .seconds((user + system) / ticks)
        }
        return totals
    }
}
