import Foundation
import ReelPlan
import ReelTensor
import ReelWire

/// What the worker is running, keyed as the coordinator names it.
struct RunningKey: Hashable, Sendable {
    enum Kind: Hashable, Sendable { case shard(ShardID), chunk(Int), encoding, source(Int) }
    var job: Int64
    var kind: Kind
    /// The coordinator's fencing token for this lease.
    var attempt: Int

    var wire: Reel_V1_WorkItem {
        var work = Reel_V1_WorkItem()
        work.jobID = UInt64(job)
        work.attempt = UInt32(attempt)
        switch kind {
        case .shard(let shard):
            work.kind = .denoise
            work.region = UInt32(shard.region)
            work.block = UInt32(shard.block)
        case .chunk(let chunk):
            work.kind = .decode
            work.chunk = UInt32(chunk)
        case .encoding:
            work.kind = .encodePrompt
        case .source(let index):
            work.kind = .encodeSource
            work.chunk = UInt32(index)
        }
        return work
    }
}

/// A task on a background thread; `cancelled` makes its result a hand-back.
final class RunningTask: @unchecked Sendable {
    let received: Timestamp
    private let lock = NSLock()
    private var _cancelled = false

    init(received: Timestamp) { self.received = received }

    var cancelled: Bool {
        get { lock.withLock { _cancelled } }
        set { lock.withLock { _cancelled = newValue } }
    }
}

/// What a task produces: a shard's latents, a decode chunk's encoded segment, or
/// a job's encoded prompts.
enum TaskOutput: Sendable {
    case latents(Tensor)
    case segment(bytes: [UInt8], frames: Int)
    case embeddings(EncodedPrompts)
    /// A conditioning source's latents `[C, t, h, w]`.
    case sourceLatents(Tensor)
}

/// A task's outcome, handed from its thread to the loop.
struct FinishedTask: Sendable {
    var key: RunningKey
    var result: Result<TaskOutput, WorkerError>
    var computeMilliseconds: Int64
}

/// Finished tasks waiting for the loop (the only thread that touches the socket).
final class FinishedQueue: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [FinishedTask] = []

    func push(_ item: FinishedTask) { lock.withLock { items.append(item) } }

    func drain() -> [FinishedTask] {
        lock.withLock {
            let taken = items
            items.removeAll()
            return taken
        }
    }
}

/// Prompt embeddings the coordinator already sent, by id, least recently used
/// evicted first. Every assignment uses its id once, in arrival order; the
/// coordinator's `EmbeddingsMirror` applies the same rule to what it sends, so it
/// knows when to send the tensors again.
struct EmbeddingsCache {
    let capacity: Int
    private var entries: [String: (positive: Tensor, negative: Tensor?)] = [:]
    /// Least recently used first.
    private var order: [String] = []

    init(capacity: Int) { self.capacity = capacity }

    /// Stores the tensors sent for `id` (not yet a use: ``use(_:)`` follows).
    mutating func insert(_ id: String, positive: Tensor, negative: Tensor?) {
        entries[id] = (positive, negative)
    }

    /// A use of `id` by an assignment: it becomes the most recent; the least
    /// recent beyond the capacity are dropped. `nil` if it is not held.
    mutating func use(_ id: String) -> (positive: Tensor, negative: Tensor?)? {
        order.removeAll { $0 == id }
        guard let entry = entries[id] else { return nil }
        order.append(id)
        while order.count > capacity { entries[order.removeFirst()] = nil }
        return entry
    }
}
