import Foundation
import ReelCoordinator
import ReelMedia
import ReelPlan
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The coordinator's HTTP API through the CLI's client: answers, and what bad
/// requests get.
@Suite(.serialized, .farmSlot) struct HTTPAPITests {
    @Test func submitFollowAndFetchThroughTheAPI() async throws {
        // Short decode segments (the tiny model's warm-up alone would make one): several previews.
        let farm = try TestFarm {
            $0.config.decodeChunkFrames = 4
            $0.config.maxDecodeOverhead = 4
        }
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
        try await expectRanges(of: video, at: base.appendingPathComponent("/v1/jobs/\(id)/video"), token: client.token)
        try await expectPreviews(of: id, video: video, status: try await client.job(id), client: client)
        await expectFailure(status: 409, containing: "finished") { _ = try await client.cancel(id) }
        await expectFailure(status: 409, containing: "failed") { _ = try await client.retry(id) }
        service.stop()
    }

    /// One preview per finished segment, covering the video's frames in order,
    /// each a JPEG of the job's size (64 × 64 is under the 320-pixel cap) that
    /// shows the frame it names: compared with that frame read from the joined video.
    func expectPreviews(of id: Int64, video: Data, status: FarmAPI.JobStatus, client: CoordinatorClient) async throws {
        let previews = try await client.previews(id)
        let chunks = (status.decodeChunkStates ?? [:]).values.reduce(0, +)
        #expect(chunks >= 2 && status.decodeChunkStates?["done"] == chunks, "\(status.decodeChunkStates ?? [:])")
        #expect(previews.map(\.chunk) == Array(0 ..< chunks), "a preview per finished segment")
        #expect(previews.first?.frameBegin == 0 && previews.last?.frameEnd == status.frames)
        #expect(zip(previews, previews.dropFirst()).allSatisfy { $0.frameEnd == $1.frameBegin }, "the segments tile the video")
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("reel-api-video-\(id)-\(UUID().uuidString).mp4")
        try video.write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let frames = try VideoReader(url: file).readAll()
        for preview in previews {
            #expect(preview.url == "/v1/jobs/\(id)/previews/\(preview.chunk)")
            #expect(abs(preview.seconds - Double(preview.frameBegin) / Double(status.fps)) < 1e-9)
            let jpeg = try await client.preview(id, chunk: preview.chunk)
            let picture = try PreviewImage.check(Array(jpeg), width: 64, height: 64)
            let quality = psnr(picture, frames[preview.frameBegin])
            print("preview \(preview.chunk): frame \(preview.frameBegin), \(jpeg.count) bytes, PSNR \(String(format: "%.1f", quality)) dB against the video's frame")
            #expect(quality > 28, "preview \(preview.chunk) shows frame \(preview.frameBegin)")
        }
        await expectFailure(status: 404, containing: "no preview") { _ = try await client.preview(id, chunk: chunks) }
        await expectFailure(status: 404, containing: "no job") { _ = try await client.previews(424_242) }
    }

    /// Peak signal-to-noise ratio of two same-size pictures, in dB.
    func psnr(_ a: RGBFrame, _ b: RGBFrame) -> Double {
        let squared = zip(a.pixels, b.pixels).reduce(0.0) { $0 + pow(Double($1.0) - Double($1.1), 2) }
        let mse = squared / Double(a.pixels.count)
        return mse == 0 ? .infinity : 10 * log10(255 * 255 / mse)
    }

    /// The video endpoint's `Range` answers, each checked against the bytes of the
    /// whole video fetched without one.
    func expectRanges(of video: Data, at url: URL, token: String?) async throws {
        func get(_ range: String?) async throws -> (Data, HTTPURLResponse) {
            var request = URLRequest(url: url)
            if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
            if let range { request.setValue(range, forHTTPHeaderField: "Range") }
            let (body, response) = try await URLSession.shared.data(for: request)
            return (body, try #require(response as? HTTPURLResponse))
        }
        let length = video.count
        let (whole, plain) = try await get(nil)
        #expect(plain.statusCode == 200 && whole == video)
        #expect(plain.value(forHTTPHeaderField: "Accept-Ranges") == "bytes")
        let cases: [(header: String, bytes: ClosedRange<Int>)] = [
            ("bytes=0-99", 0 ... 99), ("bytes=100-", 100 ... length - 1), ("bytes=-64", length - 64 ... length - 1),
            ("bytes=10-\(length + 500)", 10 ... length - 1),
        ]
        for (header, bytes) in cases {
            let (body, response) = try await get(header)
            #expect(response.statusCode == 206, "\(header)")
            #expect(response.value(forHTTPHeaderField: "Content-Range") == "bytes \(bytes.lowerBound)-\(bytes.upperBound)/\(length)", "\(header)")
            #expect(body == video[bytes], "\(header): \(body.count) bytes")
        }
        let (refused, unsatisfiable) = try await get("bytes=\(length)-")
        #expect(unsatisfiable.statusCode == 416)
        #expect(unsatisfiable.value(forHTTPHeaderField: "Content-Range") == "bytes */\(length)")
        #expect(String(decoding: refused, as: UTF8.self).contains("outside the \(length) bytes"))
        // Several ranges are answered with the whole video, as RFC 9110 allows.
        let (several, multi) = try await get("bytes=0-9,20-29")
        #expect(multi.statusCode == 200 && several == video)
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
