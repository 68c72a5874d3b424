import Foundation

/// The buffers assignments' input latents are blended into, reused, and at most
/// `limit` of them alive at once.
///
/// An input lives from its blend on the `inputs` lane until ZeroMQ has written it
/// to the worker's socket (it is lent to ZeroMQ without a copy, and returned
/// here when ZeroMQ frees it). Two things follow:
/// - memory: however many workers wait for inputs, the coordinator holds at most
///   `limit` inputs (8 MB each at 832×480); the lane waits for one to come back;
/// - CPU: a reused buffer is already mapped, so a blend does not pay the kernel
///   for faulting in and zeroing 2,000 fresh pages.
///
/// A buffer can be held for long (a worker stopped with SIGSTOP does not read its
/// socket), so the wait is bounded: past `patience` a buffer beyond the limit is
/// made rather than stalling every other worker's input.
final class InputBufferPool: @unchecked Sendable {
    let limit: Int
    let patience: Duration
    private let condition = NSCondition()
    private var free: [(pointer: UnsafeMutableRawPointer, capacity: Int)] = []
    private var alive = 0
    /// Buffers made beyond the limit because none came back within `patience`.
    private(set) var overLimit = 0

    init(limit: Int, patience: Duration = .seconds(1)) {
        precondition(limit >= 1, "an input pool needs room for one input")
        self.limit = limit
        self.patience = patience
    }

    deinit {
        for buffer in free { buffer.pointer.deallocate() }
    }

    /// Inputs alive now (being blended, waiting to be sent, or lent to ZeroMQ).
    var inUse: Int { condition.withLock { alive } }

    /// `count` bytes written by `fill` into a pooled buffer (its previous contents
    /// are undefined: `fill` must write every byte), returned to the pool when the
    /// last copy of the `Data` goes. Blocks the calling lane while `limit` inputs
    /// are alive, up to `patience`.
    func make<E: Error>(count: Int, _ fill: (UnsafeMutableRawBufferPointer) throws(E) -> Void) throws(E) -> Data {
        let (pointer, capacity) = take(count: count)
        do {
            try fill(UnsafeMutableRawBufferPointer(start: pointer, count: count))
        } catch {
            give(pointer, capacity: capacity)
            throw error
        }
        return Data(bytesNoCopy: pointer, count: count, deallocator: .custom { [self] _, _ in give(pointer, capacity: capacity) })
    }

    private func take(count: Int) -> (UnsafeMutableRawPointer, Int) {
        condition.lock()
        let deadline = Date().addingTimeInterval(Double(patience.components.seconds) + Double(patience.components.attoseconds) * 1e-18)
        while alive >= limit {
            if !condition.wait(until: deadline) {
                overLimit += 1
                break
            }
        }
        alive += 1
        let reused = free.indices.filter { free[$0].capacity >= count }.min { free[$0].capacity < free[$1].capacity }
        let buffer = reused.map { free.remove(at: $0) }
        condition.unlock()
        if let buffer { return buffer }
        return (UnsafeMutableRawPointer.allocate(byteCount: max(count, 1), alignment: 64), count)
    }

    private func give(_ pointer: UnsafeMutableRawPointer, capacity: Int) {
        condition.lock()
        alive -= 1
        let keep = free.count < limit
        if keep { free.append((pointer, capacity)) }
        condition.signal()
        condition.unlock()
        if !keep { pointer.deallocate() }
    }
}
