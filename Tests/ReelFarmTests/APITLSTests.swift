import Foundation
import ReelCoordinator
import ReelWorker
import Testing

/// The API over TLS with a self-signed certificate made by `openssl` here,
/// checked with `curl --cacert` (a real TLS client that verifies the chain and
/// the address): health answers, tokens still apply, plain HTTP gets nothing.
@Suite(.serialized, .farmSlot) struct APITLSTests {
    /// Runs `tool` with `arguments` (standard error dropped): its exit status and standard output.
    static func run(_ tool: String, _ arguments: [String]) async throws -> (Int32, String) {
        let outcome = try await ToolRun.run(tool, arguments, mergingStandardError: false)
        return (outcome.status, outcome.output)
    }

    @Test func theAPIServesHTTPSWithTheOperatorsCertificate() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("reel-tls-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (cert, key) = ("\(directory)/cert.pem", "\(directory)/key.pem")
        let (made, _) = try await Self.run("openssl", [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert,
            "-days", "1", "-subj", "/CN=reel-test", "-addext", "subjectAltName=IP:127.0.0.1",
        ])
        #expect(made == 0)
        chmod(key, 0o644)
        #expect(throws: APITLS.Failure.self, "a key others can read is refused") { try APITLS(certificatePath: cert, keyPath: key).configuration() }
        chmod(key, 0o600)
        #expect(throws: APITLS.Failure.self, "a key is not a certificate") { try APITLS(certificatePath: key, keyPath: key).configuration() }

        let tls = APITLS(certificatePath: cert, keyPath: key)
        let farm = try TestFarm { $0.tls = tls }
        defer { farm.stop() }
        let port = PortHolder()
        let service = farm.service
        let serving = Task { try await service.serve { port.value = $0 } }
        defer { serving.cancel() }
        try await farm.waitUntil(timeout: .seconds(120)) { port.value != nil }
        let base = "https://127.0.0.1:\(port.value!)"

        let status = { (path: String, extra: [String]) async throws -> String in
            try await Self.run("curl", ["--silent", "--max-time", "60", "--cacert", cert, "-o", "/dev/null", "-w", "%{http_code}"] + extra + [base + path]).1
        }
        let health = try await status("/v1/health", [])
        #expect(health == "200")
        let anonymous = try await status("/v1/jobs", [])
        #expect(anonymous == "401")
        // The token goes in a header file, not on curl's command line.
        let header = "\(directory)/auth"
        try APITokenFiles.writeSecret("Authorization: Bearer \(try #require(APITokenFiles.readSecret(at: service.adminTokenPath)))", to: header)
        let authorized = try await status("/v1/jobs", ["-H", "@\(header)"])
        #expect(authorized == "200")
        // Without the CA, curl refuses the self-signed chain; plain HTTP gets no HTTP answer.
        let (untrusted, _) = try await Self.run("curl", ["--silent", "--max-time", "60", "-o", "/dev/null", base + "/v1/health"])
        #expect(untrusted == 60, "curl's 'peer certificate cannot be authenticated'")
        let plain = try await Self.run("curl", ["--silent", "--max-time", "60", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:\(port.value!)/v1/health"])
        #expect(plain.1 == "000")
        service.stop()
    }
}
