import Foundation
import Testing

@testable import ReelTensor

/// A thread's own kernel thread count (`Parallel.withThreads`) stays its own.
/// In-process workers once set the process's count for everyone, and while a
/// linear layer's GEMM calls were a thread's share of rows (OpenBLAS's Haswell
/// kernels round a row by the rows in its call), `ReelFolderWorkerTests` found
/// chunks decoded apart unequal to the whole decode when a farm test ran beside it.
@Suite struct ParallelThreadsTests {
    @Test func aThreadsOwnCountIsNotSeenByOtherThreads() {
        let process = Parallel.threads
        let other = process == 7 ? 6 : 7
        let inside = DispatchSemaphore(value: 0), checked = DispatchSemaphore(value: 0)
        let seen = LockedBox<Int?>(nil)
        Thread.detachNewThread {
            Parallel.withThreads(other) {
                seen.set(Parallel.threads)
                inside.signal()
                checked.wait()
            }
        }
        inside.wait()
        #expect(seen.get() == other, "the thread's own count")
        #expect(Parallel.threads == process, "another thread's count leaked here: \(Parallel.threads)")
        checked.signal()
    }

    @Test func helperThreadsAndNestedCallsInheritTheCount() {
        let counts = LockedBox<[Int]>([])
        let outer = Parallel.withThreads(3) { () -> Int in
            Parallel.forRanges(3) { _ in
                let seen = Parallel.threads
                counts.modify { $0.append(seen) }
            }
            return Parallel.threads
        }
        #expect(outer == 3)
        #expect(counts.get() == [3, 3, 3], "each helper splits nested kernels as its caller: \(counts.get())")
        #expect(Parallel.threadOverride == nil, "the count ends with the call")
    }
}

/// A value shared between threads in these tests.
final class LockedBox<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func get() -> Value { lock.withLock { value } }
    func set(_ new: Value) { lock.withLock { value = new } }
    func modify(_ change: (inout Value) -> Void) { lock.withLock { change(&value) } }
}
