import Foundation
import Testing

@testable import ReelCoordinator

/// The benchmark's per-thread CPU comes from the kernel's accounts of named threads.
@Suite struct ThreadCPUTests {
    @Test func aNamedThreadsCPUIsCountedUnderItsName() {
        let done = DispatchSemaphore(value: 0)
        let seen = NSLock()
        nonisolated(unsafe) var during: [String: Duration] = [:]
        Thread.detachNewThread {
            CPUTime.nameCurrentThread("reel-test-burner-long-name")
            let until = CPUTime.thread + .milliseconds(300)
            var x = 1.0
            while CPUTime.thread < until { x = x * 1.000001 + 1e-9 }
            let totals = CPUTime.byThreadName()
            seen.withLock { during = totals }
            done.signal()
            if x < 0 { print(x) }
        }
        done.wait()
        let totals = seen.withLock { during }
        // Names are cut to the kernel's 15 bytes.
        let burned = totals["reel-test-burne"] ?? .zero
        #expect(burned >= .milliseconds(250), "\(totals)")
        #expect(burned < .seconds(5))
    }
}
