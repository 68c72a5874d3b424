#if canImport(Glibc)
import Glibc
#endif

/// How the coordinator process asks glibc to manage memory.
///
/// Region tensors are megabytes each and come and go on several threads. glibc
/// raises its mmap threshold after such frees, so later ones land in per-thread
/// heaps that keep their pages: the process's memory would then follow its peak
/// concurrency rather than what it holds. A fixed 1 MiB threshold sends every
/// tensor through mmap, whose pages go back on free. (`mallopt` is looked up
/// rather than imported: Glibc's module map leaves `malloc.h` out.)
enum MemoryPolicy {
    private static let mmapThreshold: Int32 = -3  // M_MMAP_THRESHOLD in malloc.h

    static func returnLargeBuffersToTheSystem() {
        #if canImport(Glibc)
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        _ = unsafeBitCast(symbol, to: Mallopt.self)(mmapThreshold, 1 << 20)
        #endif
    }
}
