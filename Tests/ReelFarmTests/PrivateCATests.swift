import Foundation
import ReelCoordinator
import ReelHash
import ReelWorker
import Testing

/// The CLI trusts a private CA for an `https://` coordinator: `openssl` makes a
/// CA and a server certificate it signs (for 127.0.0.1) here, a coordinator
/// serves its API with that certificate, and `reel status` runs as a real
/// process. With `--ca-cert` (or `REEL_CA_CERT`) it gets its answer; without, it
/// fails and says to pass `--ca-cert`; another CA, a missing file or a key
/// instead of a certificate are refused with a message naming the file. The
/// conditioning sources' HEAD and PUT go over the same client.
@Suite(.serialized, .farmSlot) struct PrivateCATests {
    /// `reel` with `arguments` and extra `environment` (an empty `REEL_CA_CERT` unless given): exit status, and standard output and error together.
    static func reel(_ arguments: [String], environment: [String: String]) async throws -> (Int32, String) {
        try await OpenAPIConformanceTests.run(
            TestFarm.reelBinary, in: FileManager.default.temporaryDirectory, environment: ["REEL_CA_CERT": ""].merging(environment) { $1 }, arguments)
    }

    @Test func theCLITrustsTheCAItIsGivenAndSaysWhatToDoWithout() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("reel-ca-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let openssl = { (arguments: [String]) async throws in
            let (status, _) = try await APITLSTests.run("openssl", arguments)
            #expect(status == 0, "openssl \(arguments.joined(separator: " "))")
        }
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        for name in ["ca", "other-ca"] {
            try await openssl(["req", "-x509"] + ec + ["-keyout", "\(directory)/\(name).key", "-out", "\(directory)/\(name).pem", "-days", "1", "-subj", "/CN=reel \(name)"])
        }
        try await openssl(["req"] + ec + ["-keyout", "\(directory)/server.key", "-out", "\(directory)/server.csr", "-subj", "/CN=reel coordinator"])
        try "subjectAltName=IP:127.0.0.1\n".write(toFile: "\(directory)/san", atomically: true, encoding: .utf8)
        try await openssl([
            "x509", "-req", "-in", "\(directory)/server.csr", "-CA", "\(directory)/ca.pem", "-CAkey", "\(directory)/ca.key", "-CAcreateserial",
            "-out", "\(directory)/server.pem", "-days", "1", "-extfile", "\(directory)/san",
        ])
        chmod("\(directory)/server.key", 0o600)

        let farm = try TestFarm { $0.tls = APITLS(certificatePath: "\(directory)/server.pem", keyPath: "\(directory)/server.key") }
        defer { farm.stop() }
        let port = PortHolder()
        let service = farm.service
        let serving = Task { try await service.serve { port.value = $0 } }
        defer { serving.cancel() }
        try await farm.waitUntil(timeout: .seconds(120)) { port.value != nil }
        let token = try #require(APITokenFiles.readSecret(at: service.adminTokenPath))
        let status = ["status", "--coordinator", "https://127.0.0.1:\(port.value!)"]
        let environment = ["REEL_TOKEN": token]

        let trusted = try await Self.reel(status + ["--ca-cert", "\(directory)/ca.pem"], environment: environment)
        #expect(trusted.0 == 0, "\(trusted.1)")
        let fromEnvironment = try await Self.reel(status, environment: environment.merging(["REEL_CA_CERT": "\(directory)/ca.pem"]) { $1 })
        #expect(fromEnvironment.0 == 0, "\(fromEnvironment.1)")
        #expect(fromEnvironment.1 == trusted.1)

        // Conditioning sources go over the same client: HEAD (no body to wait for) and a PUT of raw bytes.
        let client = CoordinatorClient(
            baseURL: URL(string: "https://127.0.0.1:\(port.value!)")!, token: token, privateCA: try PrivateCA.named(option: "\(directory)/ca.pem"))
        let source = Data("a conditioning source".utf8), digest = SHA256.hex(SHA256.hash(Array(source)))
        #expect(try await client.hasSource(digest) == false)
        #expect(try await client.uploadSource(digest, bytes: source) == CoordinatorClient.UploadedSource(sha256: digest, bytes: source.count))
        #expect(try await client.hasSource(digest))

        let untrusted = try await Self.reel(status, environment: environment)
        #expect(untrusted.0 != 0)
        #expect(untrusted.1.contains("not trusted") && untrusted.1.contains("pass --ca-cert"), "\(untrusted.1)")
        let otherCA = try await Self.reel(status + ["--ca-cert", "\(directory)/other-ca.pem"], environment: environment)
        #expect(otherCA.0 != 0)
        #expect(otherCA.1.contains("not signed by the CA in \(directory)/other-ca.pem"), "\(otherCA.1)")
        let missing = try await Self.reel(status + ["--ca-cert", "\(directory)/missing.pem"], environment: environment)
        #expect(missing.0 != 0 && missing.1.contains("\(directory)/missing.pem: no such CA certificate file"), "\(missing.1)")
        let key = try await Self.reel(status + ["--ca-cert", "\(directory)/ca.key"], environment: environment)
        #expect(key.0 != 0 && key.1.contains("\(directory)/ca.key: not a PEM certificate"), "\(key.1)")
        service.stop()
    }
}
