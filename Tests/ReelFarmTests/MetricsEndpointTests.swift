import Foundation
import ReelCoordinator
import ReelPlan
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `/metrics` on a farm of real processes (`reel coordinator`, `reel worker
/// --metrics-listen`) during a real job on the tiny model: scraped before, during
/// and after, the series move as the job does, carry no job ids as labels, and
/// `promtool check metrics` (Debian's prometheus package) accepts every scrape.
@Suite(.serialized, .farmSlot) struct MetricsEndpointTests {
    @Test func seriesFollowARealJobAndPassPromtool() async throws {
        let farm = try ProcessFarm()
        defer { farm.stop() }
        let workerPort = try ProcessFarm.freePort()
        try await farm.startCoordinator()
        try farm.startWorker("w1", arguments: ["--metrics-listen", "\(workerPort)"])
        try await farm.waitForWorkers(1)
        let coordinatorURL = URL(string: "http://127.0.0.1:\(farm.httpPort)/metrics")!
        let workerURL = URL(string: "http://127.0.0.1:\(workerPort)/metrics")!

        let before = try await Self.scrape(coordinatorURL, token: farm.client.token)
        #expect(before["reel_workers_connected"] == 1)
        #expect(before[#"reel_workers{state="active"}"#] == 1)
        #expect(before["reel_shards_completed_total"] == 0)
        #expect(before[#"reel_jobs{state="succeeded"}"#] == 0)

        // Four step blocks, each waiting on the last, so the job runs long enough to be seen running.
        var request = TestFarm.request(frames: 97)
        request.plan.steps = 8
        let id = try await farm.client.submit(FarmAPI.SubmitRequest(request: request))
        // A scrape while the job runs: some shards done, the job running, its model queued.
        var during: [String: Double] = [:]
        var ended = false
        try await farm.waitUntil(timeout: .seconds(120)) {
            during = try await Self.scrape(coordinatorURL, token: farm.client.token)
            ended = ["succeeded", "failed", "cancelled"].contains(try await farm.client.job(id).state)
            return ended || ((during[#"reel_shards{state="done"}"#] ?? 0) >= 1 && during[#"reel_jobs{state="running"}"#] == 1)
        }
        #expect(!ended, "the job ended before a scrape saw it running")
        #expect(during[#"reel_queue_depth{model="tiny",pool="default"}"#] != nil)
        #expect((during["reel_received_bytes_total"] ?? 0) > (before["reel_received_bytes_total"] ?? 0))

        let status = try await farm.waitForEnd(id, timeout: .seconds(300))
        #expect(status.state == "succeeded", "\(status.reason ?? "")")
        let after = try await Self.scrape(coordinatorURL, token: farm.client.token)
        #expect(after[#"reel_jobs{state="succeeded"}"#] == 1)
        #expect(after[#"reel_jobs{state="running"}"#] == 0)
        #expect(after["reel_shards_completed_total"] == Double(status.shardTotal))
        // Every shard result and decode segment carried the worker's timings.
        #expect(after["reel_shard_duration_seconds_count"] == Double(status.shardTotal))
        let chunks = status.decodeChunkStates?["done"] ?? 0
        #expect(chunks > 0 && after["reel_decode_chunk_duration_seconds_count"] == Double(chunks))
        #expect((after[#"reel_db_statement_duration_seconds_count{connection="records"}"#] ?? 0) > 0)
        #expect((after["reel_sent_bytes_total"] ?? 0) > (during["reel_sent_bytes_total"] ?? 0))
        #expect(after[#"reel_failures_total{reason="lease_expired"}"#] == 0)

        let worker = try await Self.scrape(workerURL)
        print(
            "metrics: \(status.shardTotal) shards, \(chunks) chunks; shard time sum \(after["reel_shard_duration_seconds_sum"] ?? -1) s, "
                + "records statements \(after[#"reel_db_statement_duration_seconds_count{connection="records"}"#] ?? -1), "
                + "bytes in \(after["reel_received_bytes_total"] ?? -1), worker step time sum \(worker["reel_worker_step_duration_seconds_sum"] ?? -1) s")
        #expect(worker["reel_worker_shard_duration_seconds_count"] == Double(status.shardTotal))
        #expect(worker["reel_worker_step_duration_seconds_count"] == Double(status.shardTotal))
        #expect(worker["reel_worker_decode_chunk_duration_seconds_count"] == Double(chunks))
        #expect((worker["process_cpu_seconds_total"] ?? 0) > 0)
        #expect(worker[#"reel_worker_model_cache_entries{cache="transformer"}"#] == 1)
    }

    /// Scrapes `url` (with `token`, as a Prometheus server's `authorization`
    /// setting sends it), checks the text with `promtool check metrics` and that no
    /// label could name a job or a worker, and returns each series' value.
    static func scrape(_ url: URL, token: String? = nil) async throws -> [String: Double] {
        var request = URLRequest(url: url)
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        let (data, response) = try await URLSession.shared.data(for: request)
        #expect((response as? HTTPURLResponse)?.statusCode == 200)
        let text = String(decoding: data, as: UTF8.self)
        try await promtool(text)
        var values: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
                Issue.record("not a sample line: \(line)")
                continue
            }
            let series = String(line[..<space])
            values[series] = value
            for label in Self.labelNames(series) {
                #expect(["state", "model", "pool", "connection", "reason", "cache", "le"].contains(label), "unbounded label in \(series)")
            }
        }
        return values
    }

    static func labelNames(_ series: String) -> [String] {
        guard let open = series.firstIndex(of: "{") else { return [] }
        return series[series.index(after: open)...].split(separator: ",").compactMap { $0.split(separator: "=").first.map(String.init) }
    }

    /// `promtool check metrics` reads the exposition on stdin and exits non-zero
    /// on a format error or a lint problem (a missing HELP, a counter without `_total`).
    static func promtool(_ text: String) async throws {
        let promtool = "/usr/bin/promtool"
        try #require(FileManager.default.isExecutableFile(atPath: promtool), "promtool is missing: run Deploy/install-deps.sh (Debian's prometheus)")
        let checked = try await ToolRun.run(promtool, ["check", "metrics"], input: Data(text.utf8))
        #expect(checked.status == 0, "promtool check metrics: \(checked.output)")
    }
}
