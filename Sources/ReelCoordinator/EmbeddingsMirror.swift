/// The coordinator's copy of a worker's prompt-embeddings cache: the same
/// capacity and the same least-recently-used order, updated by every assignment
/// the coordinator sends (the worker updates its own with every assignment it
/// receives, in the same order). So the coordinator sends the tensors exactly when
/// the worker lacks them; if the two ever disagree, the worker reports the miss
/// and the item is sent again with the tensors, at no cost to anyone's tries.
struct EmbeddingsMirror: Sendable {
    /// What a worker keeps (``Worker``'s cache has the same capacity).
    static let workerCapacity = 16

    let capacity: Int
    /// Least recently used first.
    private(set) var order: [String] = []

    init(capacity: Int) { self.capacity = capacity }

    /// Records a use of `id`; returns whether the worker already holds it (if not,
    /// the assignment must carry the tensors).
    mutating func use(_ id: String) -> Bool {
        let held = order.firstIndex(of: id).map { order.remove(at: $0) } != nil
        order.append(id)
        if order.count > capacity { order.removeFirst(order.count - capacity) }
        return held
    }

    /// The worker said it lacks `id`.
    mutating func forget(_ id: String) { order.removeAll { $0 == id } }
}
