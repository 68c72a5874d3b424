import Foundation
import ReelStore

/// Results waiting to be recorded wait on disk, not in memory, beyond a few.
///
/// The `records` lane stores results one at a time, and an fsync that takes
/// 200 ms (a busy disk) lets a queue build while workers keep sending: at
/// 832×480 each result holds 8 MB, so the coordinator's peak memory would follow
/// the worst disk stall of a run, and a longer run meets a worse one. Beyond
/// ``resultsHeldInMemory`` queued results, the `parser` lane first writes a
/// result's large frames to scratch files and maps them back, so what waits is
/// in the page cache, counted against nobody's memory until it is read.
extension Coordinator {
    /// Queued results kept in memory before later ones wait on disk.
    static let resultsHeldInMemory = 2
    /// Frames at least this large are spilled; the envelope and small frames stay.
    static let spilledFrameBytes = 1 << 20

    /// Records `frames` on the `records` lane with `record`, spilling their large
    /// frames to disk first when that lane already holds enough results.
    func submitRecording(_ frames: [Data], _ record: @escaping @Sendable ([Data]) -> LoopEvent) {
        guard records.backlog >= Self.resultsHeldInMemory else {
            records.submit { record(frames) }
            return
        }
        let blobs = blobs, records = records, logger = logger
        statistics.resultsSpilled += 1
        parser.submit {
            let spilled = frames.map { frame in
                guard frame.count >= Self.spilledFrameBytes else { return frame }
                do { return try blobs.spill(frame) } catch {
                    // Disk full or unwritable: the result waits in memory instead.
                    logger.warning("cannot spill a result to disk", metadata: ["error": "\(error)"])
                    return frame
                }
            }
            records.submit { record(spilled) }
            return .none
        }
    }
}
