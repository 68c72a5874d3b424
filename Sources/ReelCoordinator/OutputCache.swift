import Foundation

/// The most recently stored or read shard outputs, by content address, up to a
/// fixed number of bytes: each output is blended into about three dependents'
/// inputs soon after it arrives, so keeping the last few saves reading and
/// hashing them back from disk. The cap is fixed, not a share of the clip, so the
/// coordinator's memory does not grow with the clip. Shared by the lanes.
final class OutputCache: @unchecked Sendable {
    let capacityBytes: Int
    private let lock = NSLock()
    private var entries: [String: [Float]] = [:]
    /// Least recently used first.
    private var order: [String] = []
    private var bytes = 0

    init(capacityBytes: Int) { self.capacityBytes = capacityBytes }

    subscript(sha: String) -> [Float]? {
        lock.withLock {
            guard let values = entries[sha] else { return nil }
            if let index = order.firstIndex(of: sha) { order.remove(at: index) }
            order.append(sha)
            return values
        }
    }

    /// Keeps `values` under `sha`, evicting the least recently used beyond the cap.
    func insert(_ values: [Float], sha: String) {
        let size = values.count * MemoryLayout<Float>.stride
        guard size <= capacityBytes else { return }
        lock.withLock {
            if entries.updateValue(values, forKey: sha) == nil {
                bytes += size
            } else if let index = order.firstIndex(of: sha) {
                order.remove(at: index)
            }
            order.append(sha)
            while bytes > capacityBytes, !order.isEmpty {
                let evicted = order.removeFirst()
                bytes -= (entries.removeValue(forKey: evicted)?.count ?? 0) * MemoryLayout<Float>.stride
            }
        }
    }

    /// Forgets `sha` (its blob was deleted).
    func remove(_ sha: String) {
        lock.withLock {
            if let values = entries.removeValue(forKey: sha) { bytes -= values.count * MemoryLayout<Float>.stride }
            order.removeAll { $0 == sha }
        }
    }
}
