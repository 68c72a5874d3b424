import Foundation
import ReelCoordinator
import ReelPlan
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The HTTP API against its OpenAPI document, on a farm of real processes: the
/// listings' pages and filters, the event log (pages and the server-sent stream),
/// idempotent submission, and then schemathesis (property-based, from
/// `/openapi.json`) in a bounded run that must find no 5xx and no answer outside
/// the schema.
@Suite(.serialized, .farmSlot) struct OpenAPIConformanceTests {
    @Test func listingsEventsIdempotencyAndSchemathesis() async throws {
        let schemathesis = try Self.schemathesisBinary()
        let farm = try ProcessFarm()
        defer { farm.stop() }
        try await farm.startCoordinator()
        try farm.startWorker("w1")
        try await farm.waitForWorkers(1)
        // Raw calls carry the farm's admin token, which the local client finds.
        let api = API(base: "http://127.0.0.1:\(farm.httpPort)", token: try #require(farm.client.token))

        // A retried POST with the same key gets the same job; the key reused for another request is a conflict.
        let body = try FarmAPI.encoder().encode(FarmAPI.SubmitRequest(request: TestFarm.request(seed: 31)))
        let first = try await api.call("POST", "/v1/jobs", headers: ["Idempotency-Key": "retry-me"], body: body)
        #expect(first.status == 201)
        let again = try await api.call("POST", "/v1/jobs", headers: ["Idempotency-Key": "retry-me"], body: body)
        #expect(again.status == 200)
        let a = try FarmAPI.decoder().decode(FarmAPI.Submitted.self, from: first.body).id
        #expect(try FarmAPI.decoder().decode(FarmAPI.Submitted.self, from: again.body).id == a)
        let other = try FarmAPI.encoder().encode(FarmAPI.SubmitRequest(request: TestFarm.request(seed: 32)))
        let reused = try await api.call("POST", "/v1/jobs", headers: ["Idempotency-Key": "retry-me"], body: other)
        #expect(reused.status == 409 && reused.text.contains("\"error\"") && reused.text.contains("job \(a)"), "\(reused.text)")
        let b = try await farm.client.submit(FarmAPI.SubmitRequest(request: TestFarm.request(seed: 33)))
        #expect(try await farm.waitForEnd(a).state == "succeeded")
        #expect(try await farm.waitForEnd(b).state == "succeeded")
        #expect(try await farm.client.jobs().map(\.id) == [a, b], "the retried POST made no second job")

        // Pages: one job a page, the Link header leads to the next, and a short page has none.
        let page1 = try await api.call("GET", "/v1/jobs?limit=1")
        #expect(try Self.ids(page1) == [a])
        let next = try #require(page1.link, "a full page links to the next")
        #expect(next == "</v1/jobs?after=\(a)&limit=1>; rel=\"next\"")
        let page2 = try await api.call("GET", "/v1/jobs?after=\(a)&limit=1")
        #expect(try Self.ids(page2) == [b])
        let page3 = try await api.call("GET", "/v1/jobs?after=\(b)&limit=1")
        #expect(try Self.ids(page3) == [] && page3.link == nil)
        // Filters.
        #expect(try Self.ids(try await api.call("GET", "/v1/jobs?state=succeeded&model=tiny")) == [a, b])
        #expect(try Self.ids(try await api.call("GET", "/v1/jobs?state=failed,cancelled")) == [])
        #expect(try Self.ids(try await api.call("GET", "/v1/jobs?model=wan")) == [])
        let badState = try await api.call("GET", "/v1/jobs?state=done")
        #expect(badState.status == 400 && badState.text.contains("queued, running"), "\(badState.text)")
        #expect(try await api.call("GET", "/v1/jobs?limit=0").status == 400)
        // A NUL, which PostgreSQL text cannot hold, is the client's mistake (400), not a 500:
        // schemathesis found one in the model filter.
        #expect(try await api.call("GET", "/v1/jobs?model=a%00b").status == 400)
        // In a path, a name with a NUL names no worker and no token.
        #expect([400, 404].contains(try await api.call("POST", "/v1/workers/a%00b/release").status))
        #expect(try await api.call("POST", "/v1/tokens/a%00b/revoke").status == 404)

        // Events: a job's log starts with its creation and ends with its success; pages chain.
        let events = try FarmAPI.decoder().decode([FarmAPI.Event].self, from: try await api.call("GET", "/v1/jobs/\(a)/events?limit=1000").body)
        #expect(events.first?.kind == "job.created" && events.allSatisfy { $0.job == a })
        #expect(events.contains { $0.kind == "shard.done" })
        let firstTwo = try await api.call("GET", "/v1/jobs/\(a)/events?limit=2")
        #expect(firstTwo.link == "</v1/jobs/\(a)/events?after=\(events[1].id)&limit=2>; rel=\"next\"")
        let farmWide = try FarmAPI.decoder().decode([FarmAPI.Event].self, from: try await api.call("GET", "/v1/events?limit=1000").body)
        #expect(Set(farmWide.compactMap(\.job)) == [a, b])
        #expect(try await api.call("GET", "/v1/jobs/987654/events").status == 404)
        // The stream of a finished job sends its whole log, then ends.
        let stream = try await api.call("GET", "/v1/jobs/\(a)/events/stream")
        #expect(stream.status == 200 && stream.contentType == "text/event-stream")
        let streamed = stream.text.split(separator: "\n").filter { $0.hasPrefix("id: ") }.map { Int64($0.dropFirst(4)) }
        #expect(streamed == events.map(\.id))
        #expect(stream.text.contains("event: job.created\ndata: {"))
        let resumed = try await api.call("GET", "/v1/jobs/\(a)/events/stream", headers: ["Last-Event-ID": "\(events[events.count - 2].id)"])
        #expect(resumed.text.split(separator: "\n").filter { $0.hasPrefix("id: ") } == ["id: \(events.last!.id)"])
        // Nothing left of a finished job: 204, which tells an EventSource to stop reconnecting.
        #expect(try await api.call("GET", "/v1/jobs/\(a)/events/stream", headers: ["Last-Event-ID": "\(events.last!.id)"]).status == 204)

        // The CLI over the same log: `reel events`, as text, JSON and followed (a finished job's ends), and `status --watch`.
        let text = try farm.cli(["events", "\(a)"])
        #expect(text.split(separator: "\n").filter { $0.contains("  job \(a)") }.count == events.count, "\(text)")
        let cliEvents = try FarmAPI.decoder().decode([FarmAPI.Event].self, from: Data(try farm.cli(["events", "\(a)", "--json"]).utf8))
        #expect(cliEvents.map(\.id) == events.map(\.id))
        #expect(try farm.cli(["events", "\(a)", "--follow"]).split(separator: "\n").filter { $0.contains("job.succeeded") }.count == 1)
        let watched = try farm.cli(["status", "\(a)", "--watch"])
        #expect(watched.hasPrefix("job \(a) succeeded 100.0%"), "not a terminal: plain lines, not a redrawn bar: \(watched)")

        // schemathesis, with the worker gone (so no generated job runs): no 5xx, nothing outside the schema.
        farm.workerProcess("w1")?.stop()
        // An admin token of its own, so every route is reachable; it reaches schemathesis
        // through its config file and the environment, never its command line (`ps`).
        let fuzzToken = try await farm.client.createToken(name: "schemathesis", scope: .admin).token
        let config = farm.directory.appendingPathComponent("schemathesis.toml")
        try "headers = { Authorization = \"Bearer ${REEL_SCHEMATHESIS_TOKEN}\" }\n".write(to: config, atomically: true, encoding: .utf8)
        let started = ContinuousClock.now
        let (status, output) = try await Self.run(schemathesis, in: farm.directory, environment: ["REEL_SCHEMATHESIS_TOKEN": fuzzToken], [
            "--config-file", config.path,
            "run", "\(api.base)/openapi.json", "--checks",
            "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance",
            "--max-examples", "10", "--phases", "examples,coverage,fuzzing", "--workers", "1", "--request-timeout", "10", "--no-color",
            // The stream of a running job lasts as long as the job: it is checked above instead.
            "--exclude-path", "/v1/jobs/{id}/events/stream",
        ])
        let summary = output.split(separator: "\n").filter { $0.contains("generated") || $0.contains("passed") || $0.contains("failed") }
        print("schemathesis: exit \(status) in \(ContinuousClock.now - started); \(summary.suffix(3).joined(separator: " | "))")
        #expect(status == 0, "schemathesis found problems:\n\(output.suffix(6000))")
    }

    /// `.build/schemathesis/bin/schemathesis`, which `Deploy/install-deps.sh` installs.
    static func schemathesisBinary() throws -> String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let path = root.appendingPathComponent(".build/schemathesis/bin/schemathesis").path
        try #require(FileManager.default.isExecutableFile(atPath: path), "schemathesis is missing: run Deploy/install-deps.sh (it runs Deploy/install-schemathesis.sh)")
        return path
    }

    /// Runs `executable` in `directory` (schemathesis keeps a cache in its working directory).
    static func run(_ executable: String, in directory: URL, environment: [String: String] = [:], _ arguments: [String]) async throws -> (Int32, String) {
        let outcome = try await ToolRun.run(executable, arguments, environment: environment, in: directory)
        return (outcome.status, outcome.output)
    }

    static func ids(_ answer: API.Answer) throws -> [Int64] {
        #expect(answer.status == 200, "\(answer.text)")
        return try FarmAPI.decoder().decode([FarmAPI.JobStatus].self, from: answer.body).map(\.id)
    }

    /// Raw HTTP, for what the CLI's client does not show (status codes, headers).
    struct API {
        let base: String
        var token: String? = nil

        struct Answer {
            var status: Int
            var body: Data
            var link: String?
            var contentType: String?
            var text: String { String(decoding: body, as: UTF8.self) }
        }

        func call(_ method: String, _ path: String, headers: [String: String] = [:], body: Data? = nil) async throws -> Answer {
            var request = URLRequest(url: URL(string: base + path)!)
            request.httpMethod = method
            request.httpBody = body
            if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
            for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
            let (data, response) = try await URLSession.shared.data(for: request)
            let http = response as? HTTPURLResponse
            return Answer(
                status: http?.statusCode ?? 0, body: data, link: http?.value(forHTTPHeaderField: "Link"),
                contentType: http?.value(forHTTPHeaderField: "Content-Type"))
        }
    }
}
