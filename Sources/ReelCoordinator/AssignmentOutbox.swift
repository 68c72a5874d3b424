import Foundation

/// One worker's assignments that are ordered and not yet sent, in the order the
/// core ordered them, so that they reach the worker in that order.
///
/// Assignments are built on two `inputs` threads (``LaneGroup``), which may finish
/// them in another order than they were given. Order matters: only the first
/// assignment of a job a worker gets carries the prompt embeddings (the core's
/// ``EmbeddingsMirror`` then counts them as held), so a later one that overtook it
/// arrived without them and was handed back ("missing prompt embeddings": a
/// wasted round trip and a failure in the metrics). At 832×480 that happened on the
/// first dispatch of a job, where an assignment with nothing to blend is built in
/// far less time than one that reads the embeddings.
///
/// A built assignment waits here only behind ones ordered before it that are still
/// being built, so it holds at most the worker's credit of assignments.
struct AssignmentOutbox: Sendable {
    private struct Entry: Sendable {
        let work: WorkRef
        let token: Int
        /// The build's answer: frames to send, or `.some(nil)` when nothing is sent.
        var answer: [Data]??
    }

    private var entries: [Entry] = []

    /// Assignments ordered and not yet answered or sent.
    var count: Int { entries.count }

    /// The core ordered `work`'s assignment at `token` built for this worker.
    mutating func ordered(_ work: WorkRef, token: Int) {
        entries.append(Entry(work: work, token: token, answer: nil))
    }

    /// The build of `work` at `token` answered: `frames` to send, or nil when
    /// nothing is sent (the lease moved on, or the build failed). Returns what is
    /// due to be sent now, in order: this one and those built after it that waited
    /// behind it, up to the next one still being built. An answer for an
    /// assignment not ordered here (the worker registered again meanwhile) has
    /// nothing to wait for.
    mutating func built(_ work: WorkRef, token: Int, frames: [Data]?) -> [(work: WorkRef, token: Int, frames: [Data])] {
        guard let index = entries.firstIndex(where: { $0.work == work && $0.token == token && $0.answer == nil }) else {
            return frames.map { [(work, token, $0)] } ?? []
        }
        entries[index].answer = .some(frames)
        var due: [(work: WorkRef, token: Int, frames: [Data])] = []
        while let first = entries.first, let answer = first.answer {
            entries.removeFirst()
            if let frames = answer { due.append((first.work, first.token, frames)) }
        }
        return due
    }
}
