import Foundation
import Hummingbird
import Logging
import Metrics
import Prometheus
import ReelWorker
import Synchronization

/// A worker's own `/metrics` (`reel worker --metrics-listen`): the step and item
/// times the worker records through swift-metrics (``WorkerMetrics``), exported
/// by swift-prometheus, with the process's CPU time and memory and the model
/// cache's entries read at scrape time.
public final class WorkerMetricsExporter: Sendable {
    public let registry: PrometheusCollectorRegistry
    /// Hand this to ``WorkerConfig/metrics``.
    public let metrics: WorkerMetrics
    private let cpuSeconds: Prometheus.Counter
    private let residentBytes: Prometheus.Gauge
    private let modelCache: @Sendable () -> [(cache: String, entries: Int)]
    private let cacheGauges: Mutex<[String: Prometheus.Gauge]>
    private let exportedCPU: Mutex<Double>

    /// `modelCache` says what the engine's caches hold (empty for an engine without).
    public init(modelCache: @escaping @Sendable () -> [(cache: String, entries: Int)] = { [] }) {
        let registry = PrometheusCollectorRegistry()
        self.registry = registry
        let steps: [Duration] = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60].map { .milliseconds(Int64($0 * 1000)) }
        let items: [Duration] = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800].map { .milliseconds(Int64($0 * 1000)) }
        func timer(_ name: String, _ buckets: [Duration], _ help: String) -> Metrics.Timer {
            Metrics.Timer(
                label: name, dimensions: [],
                handler: registry.makeDurationHistogram(name: name, labels: [], buckets: buckets, help: help))
        }
        metrics = WorkerMetrics(
            stepDuration: timer("reel_worker_step_duration_seconds", steps, "Mean time of one denoising step, per shard."),
            shardDuration: timer("reel_worker_shard_duration_seconds", items, "Compute time of one denoising shard."),
            decodeDuration: timer("reel_worker_decode_chunk_duration_seconds", items, "Time of one decode chunk (decoding and encoding)."),
            failures: Metrics.Counter(
                label: "reel_worker_failures_total", dimensions: [],
                handler: registry.makeCounter(name: "reel_worker_failures_total", labels: [], help: "Work items that failed on this worker.")))
        cpuSeconds = registry.makeCounter(
            name: "process_cpu_seconds_total", labels: [], help: "User and system CPU time of the worker process.")
        residentBytes = registry.makeGauge(name: "process_resident_memory_bytes", labels: [], help: "Resident memory of the worker process.")
        self.modelCache = modelCache
        cacheGauges = Mutex([:])
        exportedCPU = Mutex(0)
    }

    /// The text exposition format, with the process and cache figures read now.
    public func exposition() -> String {
        var usage = rusage()
        getrusage(Int32(RUSAGE_SELF.rawValue), &usage)
        let cpu = Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
        exportedCPU.withLock { last in
            if cpu > last { cpuSeconds.increment(by: cpu - last) }
            last = max(last, cpu)
        }
        if let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8),
            let pages = statm.split(separator: " ").dropFirst().first.flatMap({ Int64($0) })
        {
            residentBytes.set(pages * Int64(sysconf(Int32(_SC_PAGESIZE))))
        }
        let census = modelCache()
        let gauges = cacheGauges.withLock { gauges in
            for (cache, _) in census where gauges[cache] == nil {
                gauges[cache] = registry.makeGauge(
                    name: "reel_worker_model_cache_entries", labels: [("cache", cache)],
                    help: "Entries in the worker's model caches (loaded transformers, VAEs, prepared prompts).")
            }
            return gauges
        }
        for (cache, entries) in census { gauges[cache]?.set(Int64(entries)) }
        return registry.emitToString()
    }

    /// Serves `GET /metrics` on `host:port` until the task is cancelled;
    /// `onListening` gets the bound port (useful with port 0).
    public func serve(host: String, port: Int, logger: Logger, onListening: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let router = Router()
        router.get("/metrics") { [self] _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: exposition())))
        }
        let app = Application(
            router: router, configuration: .init(address: .hostname(host, port: port), serverName: "reel-worker"),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? 0) }, logger: logger)
        try await app.runService(gracefulShutdownSignals: [])
    }
}
