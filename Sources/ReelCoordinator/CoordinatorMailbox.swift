import Foundation

/// How the HTTP API (on Swift concurrency) reaches the coordinator's event loop
/// (one thread that owns the sockets and the database connection): requests are
/// queued here and answered by the loop on its next turn.
public final class CoordinatorMailbox: @unchecked Sendable {
    /// A request from the API, answered once through `reply`.
    public enum Command: Sendable {
        case submit(FarmAPI.SubmitRequest)
        case jobs
        case job(Int64)
        case workers
        case retry(Int64)
        case cancel(Int64)
        case video(Int64)
        case health
        /// Lift a worker's quarantine (an operator's decision).
        case releaseWorker(String)
        /// Bring ``metrics`` up to date (answered with ``Reply/metrics``).
        case metrics
        /// A submission with an `Idempotency-Key`: the job that key created, if any,
        /// is answered (``Reply/resubmitted(_:)``) instead of a new one.
        case submitIdempotent(FarmAPI.SubmitRequest, key: String)
        /// A page of jobs (answered with ``Reply/jobs(_:)``).
        case jobPage(FarmAPI.JobQuery)
        /// A page of events after `after`, of one job (which must exist) or of all.
        case events(job: Int64?, after: Int64?, limit: Int)
        /// One job's shards with their states (answered with ``Reply/shards(_:)``).
        case shards(Int64)
        /// One job's segment previews (answered with ``Reply/previews(_:)``).
        case previews(Int64)
        /// One segment's preview still (answered with ``Reply/file(path:)``).
        case preview(Int64, chunk: Int)
    }

    /// The loop's answer.
    public enum Reply: Sendable {
        case submitted(Int64)
        case jobs([FarmAPI.JobStatus])
        case job(FarmAPI.JobStatus)
        case workers([FarmAPI.WorkerStatus])
        case video(path: String)
        case health(FarmAPI.Health)
        /// ``metrics`` holds the loop's and the database's figures as of now.
        case metrics
        /// A submission whose idempotency key already named this job.
        case resubmitted(Int64)
        case events([FarmAPI.Event])
        case shards([FarmAPI.ShardCell])
        case previews([FarmAPI.Preview])
        /// A blob to send as it is (a preview's JPEG).
        case file(path: String)
    }

    struct Entry {
        let command: Command
        let reply: @Sendable (Result<Reply, APIError>) -> Void
    }

    private let lock = NSLock()
    private var entries: [Entry] = []
    private var isClosed = false

    /// The Prometheus series: kept by the loop, written out by the HTTP side
    /// (here because the mailbox is the one object both sides hold).
    public let metrics = FarmMetrics()

    public init() {}

    /// Queues `command` and waits for the loop's answer.
    public func send(_ command: Command) async -> Result<Reply, APIError> {
        await withCheckedContinuation { continuation in
            lock.lock()
            if isClosed {
                lock.unlock()
                continuation.resume(returning: .failure(.unavailable("the coordinator is shutting down")))
                return
            }
            entries.append(Entry(command: command) { continuation.resume(returning: $0) })
            lock.unlock()
        }
    }

    /// Takes everything queued (the loop's side).
    func drain() -> [Entry] {
        lock.lock()
        defer { lock.unlock() }
        let taken = entries
        entries.removeAll()
        return taken
    }

    /// Refuses new commands and fails the queued ones.
    func close() {
        lock.lock()
        isClosed = true
        let left = entries
        entries.removeAll()
        lock.unlock()
        for entry in left { entry.reply(.failure(.unavailable("the coordinator is shutting down"))) }
    }
}
