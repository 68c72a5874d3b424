import Prometheus
import ReelPlan
import ReelStore
import ReelWire
import Synchronization

/// The coordinator's Prometheus series, served at `/metrics` (swift-prometheus's
/// registry, whose counters, gauges and histograms are swift-metrics handlers).
///
/// Nothing here slows the event loop: histograms take an uncontended lock per
/// observation; the loop's own totals (``LoopStatistics``) are plain integers it
/// already keeps, pushed into the counters only when a scrape asks
/// (``sync(_:)``); and the gauges are counted at scrape time from state the
/// loop and the database already hold (``LoopCensus``, ``FarmStore/jobCensus()``).
/// Labels are fixed sets (states, failure reasons, connections) or the models
/// the farm serves: never a job id or a worker name.
public final class FarmMetrics: Sendable {
    /// The pool label of `reel_queue_depth` for jobs that require no pool.
    public static let defaultPool = "default"
    /// The database connections whose statements are timed, as the `connection` label.
    public static let connections = ["loop", "records", "queries", "statements"]

    public let registry: PrometheusCollectorRegistry

    let shardDuration: DurationHistogram
    let chunkDuration: DurationHistogram
    let statementDuration: [String: DurationHistogram]
    let retries: Counter
    let failures: [FailureReason: Counter]
    let bytesReceived: Counter
    let bytesSent: Counter
    let rejected: Counter
    let shardsCompleted: Counter
    let reregistrations: Counter
    let loopCPU: Counter
    let longestGap: Gauge
    let resultsWaiting: Gauge
    let recordBacklog: Gauge
    let jobs: [JobState.Name: Gauge]
    let shards: [ShardState.Name: Gauge]
    let chunks: [ShardState.Name: Gauge]
    let workers: [WorkerStateName: Gauge]
    let connectedWorkers: Gauge
    let busyWorkers: Gauge
    let slots: Gauge
    let slotsUsed: Gauge
    /// Per model, created as models appear (bounded by the models the farm serves).
    private let queueDepth: Mutex<[LoopCensus.Queue: Gauge]>
    /// The loop's totals as last pushed into the counters.
    private let exported: Mutex<LoopStatistics>

    public init() {
        let registry = PrometheusCollectorRegistry()
        self.registry = registry
        let work: [Duration] = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800].map { .milliseconds(Int64($0 * 1000)) }
        shardDuration = registry.makeDurationHistogram(
            name: "reel_shard_duration_seconds", labels: [], buckets: work,
            help: "Time a worker spent on one shard (queued, loading, denoising), as it reported with the result.")
        chunkDuration = registry.makeDurationHistogram(
            name: "reel_decode_chunk_duration_seconds", labels: [], buckets: work,
            help: "Time a worker spent on one decode chunk (queued, loading, decoding, encoding), as it reported.")
        let statements: [Duration] = [0.0002, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5].map {
            .microseconds(Int64($0 * 1_000_000))
        }
        statementDuration = Dictionary(uniqueKeysWithValues: Self.connections.map { connection in
            (connection, registry.makeDurationHistogram(
                name: "reel_db_statement_duration_seconds", labels: [("connection", connection)], buckets: statements,
                help: "PostgreSQL statement latency on each of the coordinator's connections (loop, records lane, queries lane, statements lane)."))
        })
        retries = registry.makeCounter(
            name: "reel_retries_total", labels: [], help: "Work items put back in the queue for another attempt.")
        failures = Dictionary(uniqueKeysWithValues: FailureReason.allCases.map { reason in
            (reason, registry.makeCounter(
                name: "reel_failures_total", labels: [("reason", reason.rawValue)],
                help: "Failed attempts at work items, by reason (worker reports, expired leases, lost workers, invalid results)."))
        })
        bytesReceived = registry.makeCounter(name: "reel_received_bytes_total", labels: [], help: "Bytes received from workers.")
        bytesSent = registry.makeCounter(name: "reel_sent_bytes_total", labels: [], help: "Bytes sent to workers.")
        rejected = registry.makeCounter(
            name: "reel_rejected_messages_total", labels: [], help: "Worker messages rejected (malformed, stale, from unknown peers).")
        shardsCompleted = registry.makeCounter(name: "reel_shards_completed_total", labels: [], help: "Shard results committed.")
        reregistrations = registry.makeCounter(
            name: "reel_reregistrations_total", labels: [], help: "Hellos from workers already registered (zero on a healthy farm).")
        loopCPU = registry.makeCounter(name: "reel_loop_cpu_seconds_total", labels: [], help: "CPU time of the event loop's thread.")
        longestGap = registry.makeGauge(
            name: "reel_loop_longest_gap_seconds", labels: [], help: "The longest pause between two turns of the event loop since it started.")
        resultsWaiting = registry.makeGauge(
            name: "reel_results_waiting", labels: [], help: "Results offered by workers and not yet pulled.")
        recordBacklog = registry.makeGauge(
            name: "reel_record_backlog", labels: [], help: "Work queued on the records lane (results to store and commit).")
        jobs = Dictionary(uniqueKeysWithValues: JobState.Name.allCases.map { state in
            (state, registry.makeGauge(name: "reel_jobs", labels: [("state", state.rawValue)], help: "Jobs in the database, by state."))
        })
        shards = Dictionary(uniqueKeysWithValues: ShardState.Name.allCases.map { state in
            (state, registry.makeGauge(name: "reel_shards", labels: [("state", state.rawValue)], help: "Shards of the running jobs, by state."))
        })
        chunks = Dictionary(uniqueKeysWithValues: ShardState.Name.allCases.map { state in
            (state, registry.makeGauge(
                name: "reel_decode_chunks", labels: [("state", state.rawValue)], help: "Decode chunks of the decoding jobs, by state."))
        })
        workers = Dictionary(uniqueKeysWithValues: WorkerStateName.allCases.map { state in
            (state, registry.makeGauge(name: "reel_workers", labels: [("state", state.rawValue)], help: "Registered workers, by state."))
        })
        connectedWorkers = registry.makeGauge(name: "reel_workers_connected", labels: [], help: "Workers connected to this coordinator.")
        busyWorkers = registry.makeGauge(name: "reel_workers_busy", labels: [], help: "Connected workers running at least one item.")
        slots = registry.makeGauge(name: "reel_worker_slots", labels: [], help: "Slots (items at once) of the connected workers.")
        slotsUsed = registry.makeGauge(name: "reel_worker_slots_used", labels: [], help: "Items the connected workers are running.")
        queueDepth = Mutex([:])
        exported = Mutex(LoopStatistics())
    }

    /// Records a finished item's time as the worker reported it.
    func observe(_ timings: Reel_V1_Timings, decode: Bool) {
        let total = Duration.milliseconds(Int64(clamping: timings.queueMs &+ timings.loadMs &+ timings.computeMs))
        (decode ? chunkDuration : shardDuration).record(total)
    }

    /// Pushes the loop's totals into the counters (the difference since the last push).
    func sync(_ statistics: LoopStatistics) {
        exported.withLock { last in
            bytesReceived.increment(by: Int64(statistics.bytesIn - last.bytesIn))
            bytesSent.increment(by: Int64(statistics.bytesOut - last.bytesOut))
            rejected.increment(by: Int64(statistics.rejected - last.rejected))
            shardsCompleted.increment(by: Int64(statistics.shardsCompleted - last.shardsCompleted))
            reregistrations.increment(by: Int64(statistics.reregistrations - last.reregistrations))
            loopCPU.increment(by: (statistics.loopCPU - last.loopCPU).realSeconds)
            last = statistics
        }
        longestGap.set(statistics.longestGap.realSeconds)
        resultsWaiting.set(Int64(statistics.resultsWaiting))
    }

    /// Sets the gauges the loop counts.
    func update(_ census: LoopCensus) {
        for (state, gauge) in shards { gauge.set(Int64(census.shards[state] ?? 0)) }
        for (state, gauge) in chunks { gauge.set(Int64(census.chunks[state] ?? 0)) }
        connectedWorkers.set(Int64(census.connectedWorkers))
        busyWorkers.set(Int64(census.busyWorkers))
        slots.set(Int64(census.slots))
        slotsUsed.set(Int64(census.slotsUsed))
        recordBacklog.set(Int64(census.recordBacklog))
        let gauges = queueDepth.withLock { gauges in
            for queue in census.queueDepth.keys where gauges[queue] == nil {
                gauges[queue] = registry.makeGauge(
                    name: "reel_queue_depth", labels: [("model", queue.model), ("pool", queue.pool)],
                    help: "Work items ready to lease and waiting for a worker, by model and pool.")
            }
            return gauges
        }
        // A queue no longer holding work keeps its series, at zero.
        for (queue, gauge) in gauges { gauge.set(Int64(census.queueDepth[queue] ?? 0)) }
    }

    /// Sets the gauges counted in the database.
    func update(jobs: [JobState.Name: Int], workers: [WorkerStateName: Int]) {
        for (state, gauge) in self.jobs { gauge.set(Int64(jobs[state] ?? 0)) }
        for (state, gauge) in self.workers { gauge.set(Int64(workers[state] ?? 0)) }
    }

    /// The text exposition format (what `/metrics` serves).
    public func exposition() -> String {
        registry.emitToString()
    }
}

/// What the loop counts for a scrape, from state it already holds.
struct LoopCensus: Sendable {
    var shards: [ShardState.Name: Int] = [:]
    var chunks: [ShardState.Name: Int] = [:]
    /// A queue of ready work: a model, and the pool its jobs require
    /// (``FarmMetrics/defaultPool`` for none). Pools are named by operators,
    /// so the label's values stay few.
    struct Queue: Hashable, Sendable {
        var model: String
        var pool: String = FarmMetrics.defaultPool
        init(model: String, pool: String = FarmMetrics.defaultPool) {
            self.model = model
            self.pool = pool
        }
    }
    /// Ready items (shards and decode chunks) per queue.
    var queueDepth: [Queue: Int] = [:]
    var connectedWorkers = 0
    var busyWorkers = 0
    var slots = 0
    var slotsUsed = 0
    var recordBacklog = 0
}
