import Foundation
import Testing

/// At most a few farms at once in the test process (`REEL_TEST_FARMS`, default 2).
///
/// Swift Testing runs suites in parallel. Each farm suite starts PostgreSQL, a
/// coordinator and worker processes that compute; a dozen of them at once on this
/// 2-core machine pushed the load average past 40, and coordinators then took over
/// a minute to start, so tests failed on their start-up timeouts, not on what they
/// check. Farm suites take a slot per test case; everything else stays parallel.
struct FarmSlot: SuiteTrait, TestTrait, TestScoping {
    var isRecursive: Bool { true }

    func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        // The suite's and the test's own scopes pass through: only a running test
        // case holds a slot, so a suite never waits on its own tests.
        guard testCase != nil else { return try await function() }
        await FarmGate.shared.acquire()
        do {
            try await function()
        } catch {
            await FarmGate.shared.release()
            throw error
        }
        await FarmGate.shared.release()
    }
}

extension Trait where Self == FarmSlot {
    /// Runs each test case of a farm suite in one of ``FarmGate``'s slots.
    static var farmSlot: FarmSlot { FarmSlot() }
}

/// A counting semaphore for ``FarmSlot``: first come, first served.
actor FarmGate {
    static let shared = FarmGate(slots: ProcessInfo.processInfo.environment["REEL_TEST_FARMS"].flatMap(Int.init).map { max(1, $0) } ?? 2)

    private var free: Int
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(slots: Int) {
        free = slots
    }

    func acquire() async {
        if free > 0 {
            free -= 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    func release() {
        if waiting.isEmpty {
            free += 1
        } else {
            waiting.removeFirst().resume()
        }
    }
}
