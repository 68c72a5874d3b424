import Foundation
import ReelCoordinator
import ReelPlan
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The coordinator's HTTP API through the CLI's client: answers, and what bad
/// requests get.
@Suite(.serialized, .farmSlot) struct HTTPAPITests {
    @Test func submitFollowAndFetchThroughTheAPI() async throws {
        let farm = try TestFarm()
        defer { farm.stop() }
        try farm.addWorker(name: "api")
        let port = PortHolder()
        let service = farm.service
        let serving = Task { try await service.serve { port.value = $0 } }
        defer { serving.cancel() }
        // Generous: the server starts on Swift's cooperative pool (two threads
        // here), which the suite's other farm tests keep busy starting PostgreSQL.
        try await farm.waitUntil(timeout: .seconds(120)) { port.value != nil }
        let base = URL(string: "http://127.0.0.1:\(port.value!)")!
        let client = CoordinatorClient(baseURL: base)
        let health = try await client.health()
        #expect(health.ok && health.database == "ok" && health.workers == 1 && health.reregistrations == 0)
        try await farm.service.waitForWorkers(1, timeout: .seconds(60))

        // Bad input: an invalid job spec names the value; unknown jobs are 404; garbage JSON is 400.
        var bad = TestFarm.request()
        bad.frames = 50
        await expectFailure(status: 400, containing: "frames") { _ = try await client.submit(FarmAPI.SubmitRequest(request: bad)) }
        await expectFailure(status: 404, containing: "no job") { _ = try await client.job(424_242) }
        var unknownModel = TestFarm.request()
        unknownModel.model = "nope"
        await expectFailure(status: 400, containing: "tiny") { _ = try await client.submit(FarmAPI.SubmitRequest(request: unknownModel)) }
        // Jobs that would hang planning or exhaust memory at dispatch are refused at
        // once, naming the limit; the job below shows the coordinator is still up.
        var long = TestFarm.request()
        long.frames = 1_000_000_000
        await expectFailure(status: 400, containing: "frames 1000000000 exceeds the limit 9601 (--max-frames)") {
            _ = try await client.submit(FarmAPI.SubmitRequest(request: long))
        }
        var wide = TestFarm.request()
        wide.width = 1_000_000
        await expectFailure(status: 400, containing: "width 1000000 exceeds the limit 3840 (--max-side)") {
            _ = try await client.submit(FarmAPI.SubmitRequest(request: wide))
        }
        var request = URLRequest(url: base.appendingPathComponent("/v1/jobs"))
        request.httpMethod = "POST"
        request.httpBody = Data("{\"request\": 3}".utf8)
        request.setValue("Bearer \(client.token ?? "")", forHTTPHeaderField: "Authorization")
        let (body, response) = try await URLSession.shared.data(for: request)
        #expect((response as? HTTPURLResponse)?.statusCode == 400)
        #expect(String(decoding: body, as: UTF8.self).contains("request"))

        let id = try await client.submit(FarmAPI.SubmitRequest(request: TestFarm.request(seed: 8)))
        await expectFailure(status: 409, containing: "succeeded") { _ = try await client.video(id) }
        let status = try await farm.wait(id)
        #expect(status.state == "succeeded")
        // Its history: one worker of one slot cannot have computed longer than the
        // job rendered and decoded.
        let history = try #require(try await client.job(id).history)
        #expect(history.workersUsed == 1 && history.retries == 0)
        let render = try #require(history.renderSeconds), decode = try #require(history.decodeSeconds)
        #expect(try #require(history.queueSeconds) >= 0 && render > 0 && decode > 0)
        #expect(history.computeSeconds > 0 && history.computeSeconds <= render + decode, "\(history)")
        #expect(try await client.jobs().map(\.id).contains(id))
        let workers = try await client.workers()
        #expect(workers.map(\.name) == ["api"])
        #expect((workers.first?.shardsPerMinute ?? 0) > 0, "its recent speed")
        let video = try await client.video(id)
        // A real MP4, joined from the workers' H.264 segments: it starts with an `ftyp` box.
        #expect(video.count > 1000)
        #expect(String(decoding: video.dropFirst(4).prefix(4), as: UTF8.self) == "ftyp")
        await expectFailure(status: 409, containing: "finished") { _ = try await client.cancel(id) }
        await expectFailure(status: 409, containing: "failed") { _ = try await client.retry(id) }
        service.stop()
    }

    func expectFailure(status: Int, containing text: String, _ body: () async throws -> Void) async {
        do {
            try await body()
            Issue.record("expected HTTP \(status)")
        } catch let failure as CoordinatorClient.Failure {
            #expect(failure.status == status, "\(failure.message)")
            #expect(failure.message.contains(text), "\(failure.message)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}

final class PortHolder: @unchecked Sendable {
    private let lock = NSLock()
    private var port: Int?
    var value: Int? {
        get { lock.withLock { port } }
        set { lock.withLock { port = newValue } }
    }
}
