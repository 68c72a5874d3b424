import Foundation
import Testing

@testable import ReelTensor

/// Heavy work runs below the serving threads, per thread: the kernel's nice value
/// is per thread on Linux, so lowering one must leave the others where they were.
@Suite struct ThreadPriorityTests {
    /// Runs `body` on a fresh thread (at the process's default priority) and returns its result.
    private func onFreshThread<T: Sendable>(_ body: @escaping @Sendable () -> T) -> T {
        let done = DispatchSemaphore(value: 0)
        let box = ResultBox<T>()
        let thread = Thread {
            box.value = body()
            done.signal()
        }
        thread.start()
        done.wait()
        return box.value!
    }

    @Test func loweringAThreadLeavesTheOthers() {
        let before = ThreadPriority.currentThreadNice
        let (lowered, nice) = onFreshThread { () -> (Bool, Int32) in
            let lowered = ThreadPriority.lowerCurrentThread(to: 7)
            return (lowered, ThreadPriority.currentThreadNice)
        }
        #expect(lowered)
        #expect(nice == max(7, before), "the lowered thread runs at nice \(nice)")
        #expect(ThreadPriority.currentThreadNice == before, "the calling thread moved from \(before)")
    }

    @Test func aThreadIsNeverRaisedByLowering() {
        let nice = onFreshThread { () -> Int32 in
            ThreadPriority.lowerCurrentThread(to: 9)
            ThreadPriority.lowerCurrentThread(to: 4)
            return ThreadPriority.currentThreadNice
        }
        #expect(nice >= 9, "lowering to 4 after 9 left the thread at \(nice)")
    }

    @Test func parallelHelpersRunAtTheCallersPriority() {
        let seen = onFreshThread { () -> [Int32] in
            ThreadPriority.lowerCurrentThread(to: 6)
            let lock = NSLock()
            var values: [Int32] = []
            Parallel.withThreads(4) {
                Parallel.forRanges(4) { _ in
                    let nice = ThreadPriority.currentThreadNice
                    lock.lock()
                    values.append(nice)
                    lock.unlock()
                }
            }
            return values
        }
        #expect(seen.count == 4)
        #expect(seen.allSatisfy { $0 >= 6 }, "parts ran at nice \(seen)")
    }

    @Test func raisingNeedsThePrivilegeAndSaysSo() {
        let (raised, nice) = onFreshThread { () -> (Bool, Int32) in
            let raised = ThreadPriority.raiseCurrentThread(to: -3)
            return (raised, ThreadPriority.currentThreadNice)
        }
        // Root (CI) may raise; without CAP_SYS_NICE the call is refused and the thread
        // stays put. Either way the answer must say what the kernel did.
        #expect(raised == (nice == -3), "raise said \(raised), the thread runs at \(nice)")
    }
}

private final class ResultBox<T>: @unchecked Sendable {
    var value: T?
}
