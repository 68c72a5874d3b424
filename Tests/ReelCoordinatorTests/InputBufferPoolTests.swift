import Foundation
import Testing

@testable import ReelCoordinator

/// Inputs are blended into pooled buffers: at most `limit` alive, reused once
/// their `Data` is gone, and a lane that waits too long gets one beyond the limit.
@Suite struct InputBufferPoolTests {
    func filled(_ pool: InputBufferPool, _ count: Int, _ byte: UInt8) -> Data {
        pool.make(count: count) { (raw: UnsafeMutableRawBufferPointer) in raw.initializeMemory(as: UInt8.self, repeating: byte) }
    }

    @Test func buffersAreReusedAndCounted() {
        let pool = InputBufferPool(limit: 2)
        var first: Data? = filled(pool, 4096, 1)
        let address = first!.withUnsafeBytes { UInt(bitPattern: $0.baseAddress) }
        #expect(pool.inUse == 1)
        #expect(first!.allSatisfy { $0 == 1 })
        first = nil
        #expect(pool.inUse == 0)
        // A smaller input reuses the freed buffer.
        let second = filled(pool, 1000, 2)
        #expect(second.count == 1000 && second.allSatisfy { $0 == 2 })
        #expect(second.withUnsafeBytes { UInt(bitPattern: $0.baseAddress) } == address)
        #expect(pool.inUse == 1)
    }

    /// An input another thread lets go of after a pause.
    final class Held: @unchecked Sendable {
        var data: Data?
        init(_ data: Data) { self.data = data }
    }

    @Test func aFullPoolWaitsForABufferToComeBack() {
        let pool = InputBufferPool(limit: 1, patience: .seconds(30))
        let held = Held(filled(pool, 64, 1))
        let started = ContinuousClock.now
        Thread.detachNewThread {
            Thread.sleep(forTimeInterval: 0.3)
            held.data = nil
        }
        // Blocks until the first input is gone, then reuses its buffer.
        let next = filled(pool, 64, 3)
        #expect(ContinuousClock.now - started >= .milliseconds(250))
        #expect(next.allSatisfy { $0 == 3 } && pool.inUse == 1 && pool.overLimit == 0)
    }

    @Test func pastItsPatienceALaneGetsABufferBeyondTheLimit() {
        let pool = InputBufferPool(limit: 1, patience: .milliseconds(100))
        let stuck = filled(pool, 64, 1)
        let extra = filled(pool, 64, 2)
        #expect(pool.inUse == 2 && pool.overLimit == 1)
        #expect(stuck.allSatisfy { $0 == 1 } && extra.allSatisfy { $0 == 2 })
    }

    @Test func aFillThatThrowsGivesItsBufferBack() {
        struct Refused: Error {}
        let pool = InputBufferPool(limit: 1)
        #expect(throws: Refused.self) { try pool.make(count: 16) { (_: UnsafeMutableRawBufferPointer) throws(Refused) in throw Refused() } }
        #expect(pool.inUse == 0)
    }
}
