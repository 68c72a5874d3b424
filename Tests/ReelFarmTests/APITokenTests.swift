import Foundation
import ReelCoordinator
import ReelPlan
import ReelWorker
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Bearer tokens on the real API: 401 without a live token, 403 without the
/// scope, tokens made and revoked through the admin routes, and a local farm's
/// admin token found by the same user's client with no setup.
@Suite(.serialized, .farmSlot) struct APITokenTests {
    /// One raw request: status, `{"error"}` text, headers.
    static func send(_ method: String, _ url: URL, token: String?, body: Data? = nil) async throws -> (Int, String, [AnyHashable: Any]) {
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.httpBody = body
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = response as? HTTPURLResponse
        let error = (try? FarmAPI.decoder().decode(FarmAPI.ErrorBody.self, from: data))?.error ?? ""
        return (http?.statusCode ?? 0, error, http?.allHeaderFields ?? [:])
    }

    @Test func everyRouteButHealthNeedsALiveTokenWithItsScope() async throws {
        let farm = try TestFarm()
        defer { farm.stop() }
        // Submissions need a worker that has the model; its steps are slow enough
        // that the job is still running when the submitter cancels it below.
        try farm.addWorker(name: "tokens", executor: SimulatedExecutor(stepTime: .seconds(5)))
        try await farm.service.waitForWorkers(1, timeout: .seconds(60))
        let port = PortHolder()
        let service = farm.service
        let serving = Task { try await service.serve { port.value = $0 } }
        defer { serving.cancel() }
        try await farm.waitUntil(timeout: .seconds(120)) { port.value != nil }
        let base = URL(string: "http://127.0.0.1:\(port.value!)")!

        // The farm's admin token: DATA/api-token, 0600, found by this user's client.
        let adminFile = service.adminTokenPath
        let mode = (try FileManager.default.attributesOfItem(atPath: adminFile)[.posixPermissions] as? Int) ?? -1
        #expect(mode == 0o600)
        let adminToken = try #require(APITokenFiles.readSecret(at: adminFile))
        #expect(adminToken.hasPrefix("reel_") && adminToken.count == 69)
        let admin = CoordinatorClient(baseURL: base)
        #expect(admin.token == adminToken, "the local client finds the farm's admin token")

        // Open: health. Closed: everything else, with the API's error body.
        #expect(try await Self.send("GET", base.appendingPathComponent("/v1/health"), token: nil).0 == 200)
        let (missing, missingText, headers) = try await Self.send("GET", base.appendingPathComponent("/v1/jobs"), token: nil)
        #expect(missing == 401)
        #expect(missingText.contains("REEL_TOKEN"))
        #expect((headers["Www-Authenticate"] ?? headers["WWW-Authenticate"]) != nil, "\(headers)")
        let unknown = try await Self.send("GET", base.appendingPathComponent("/v1/workers"), token: "reel_" + String(repeating: "0", count: 64))
        #expect(unknown.0 == 401 && unknown.1.contains("not a live token"))
        #expect(try await Self.send("POST", base.appendingPathComponent("/v1/jobs"), token: nil, body: Data("{}".utf8)).0 == 401)

        // Scopes.
        let readToken = try await admin.createToken(name: "dashboard", scope: .read)
        let submitToken = try await admin.createToken(name: "ci", scope: .submit)
        #expect(readToken.token != submitToken.token && readToken.info.scope == "read")
        let reader = CoordinatorClient(baseURL: base, token: readToken.token)
        let submitter = CoordinatorClient(baseURL: base, token: submitToken.token)
        #expect(try await reader.jobs().isEmpty)
        await expectFailure(status: 403, containing: "needs submit") {
            _ = try await reader.submit(FarmAPI.SubmitRequest(request: TestFarm.request()))
        }
        var job = TestFarm.request()
        job.model = SimulatedExecutor.modelName
        let id = try await submitter.submit(FarmAPI.SubmitRequest(request: job))
        #expect(try await reader.job(id).id == id)
        await expectFailure(status: 403, containing: "needs admin") { _ = try await submitter.tokens() }
        await expectFailure(status: 403, containing: "needs admin") { _ = try await submitter.createToken(name: "mine", scope: .admin) }
        #expect(try await submitter.cancel(id).state == "cancelled")
        await expectFailure(status: 409, containing: "already") { _ = try await admin.createToken(name: "ci", scope: .read) }

        // Listing never shows a token; revoking takes effect on the next request.
        let listing = try await Self.send("GET", base.appendingPathComponent("/v1/tokens"), token: adminToken)
        #expect(listing.0 == 200)
        let names = try await admin.tokens().filter { $0.revokedAt == nil }.map(\.name).sorted()
        #expect(names == ["ci", "dashboard", "local-admin"])
        var request = URLRequest(url: base.appendingPathComponent("/v1/tokens"))
        request.setValue("Bearer \(adminToken)", forHTTPHeaderField: "Authorization")
        let raw = String(decoding: try await URLSession.shared.data(for: request).0, as: UTF8.self)
        for token in [adminToken, readToken.token, submitToken.token] { #expect(!raw.contains(token)) }
        let revoked = try await admin.revokeToken(name: "dashboard")
        #expect(revoked.revokedAt != nil)
        await expectFailure(status: 401, containing: "not a live token") { _ = try await reader.jobs() }
        await expectFailure(status: 404, containing: "no live token") { _ = try await admin.revokeToken(name: "dashboard") }
        #expect(try await submitter.jobs().count == 1)
        service.stop()
    }

    /// The HTTP API tests' check of a failed call's status and message.
    func expectFailure(status: Int, containing text: String, _ body: () async throws -> Void) async {
        await HTTPAPITests().expectFailure(status: status, containing: text, body)
    }
}
