import Foundation
import ReelCoordinator
import ReelHash
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `PUT` and `HEAD /v1/sources/{sha256}`: a conditioning source stored once under
/// its digest, refused when the body does not hash to the path's digest or is
/// over `--max-source-bytes`.
@Suite(.serialized, .farmSlot) struct SourceUploadTests {
    static let limit = 100_000

    @Test func uploadOnceCheckTheDigestAndTheLimit() async throws {
        let farm = try TestFarm { $0.config.maxSourceBytes = Self.limit }
        defer { farm.stop() }
        let port = PortHolder()
        let service = farm.service
        let serving = Task { try await service.serve { port.value = $0 } }
        defer { serving.cancel() }
        try await farm.waitUntil(timeout: .seconds(120)) { port.value != nil }
        let base = URL(string: "http://127.0.0.1:\(port.value!)")!
        let token = CoordinatorClient(baseURL: base).token

        func call(_ method: String, _ digest: String, body: Data? = nil, token: String? = token) async throws -> (Int, String) {
            var request = URLRequest(url: base.appendingPathComponent("/v1/sources/\(digest)"))
            request.httpMethod = method
            if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
            request.setValue("application/octet-stream", forHTTPHeaderField: "Content-Type")
            let (data, response) =
                if let body { try await URLSession.shared.upload(for: request, from: body) } else { try await URLSession.shared.data(for: request) }
            return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
        }

        // 70,000 bytes of a pattern: under the limit, and more than one piece of the body.
        let bytes = (0 ..< 70_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 8) }
        let digest = SHA256.hex(SHA256.hash(bytes))
        #expect(try await call("HEAD", digest).0 == 404, "not uploaded yet")
        #expect(try await call("PUT", digest, body: Data(bytes), token: nil).0 == 401, "the route needs a token")

        let (created, answer) = try await call("PUT", digest, body: Data(bytes))
        #expect(created == 201, "\(answer)")
        let stored = try FarmAPI.decoder().decode(CoordinatorHTTPServer.SourceStored.self, from: Data(answer.utf8))
        #expect(stored == CoordinatorHTTPServer.SourceStored(sha256: digest, bytes: bytes.count))
        #expect(try await call("HEAD", digest).0 == 200)
        // The blob is the file's bytes, under its digest in the coordinator's blob store.
        let blob = URL(fileURLWithPath: farm.service.options.dataDirectory)
            .appendingPathComponent("blobs/\(digest.prefix(2))/\(digest)")
        #expect(try Data(contentsOf: blob) == Data(bytes))

        let (again, againAnswer) = try await call("PUT", digest, body: Data(bytes))
        #expect(again == 200 && againAnswer.contains("\"bytes\":70000"), "\(againAnswer)")

        // Other bytes at that digest: 400 naming both digests, nothing stored.
        var other = bytes
        other[0] ^= 1
        let otherDigest = SHA256.hex(SHA256.hash(other))
        let (mismatch, mismatchAnswer) = try await call("PUT", digest, body: Data(other))
        #expect(mismatch == 400 && mismatchAnswer.contains(otherDigest) && mismatchAnswer.contains(digest), "\(mismatchAnswer)")
        let (mismatchNew, mismatchNewAnswer) = try await call("PUT", String(repeating: "ab", count: 32), body: Data(other))
        #expect(mismatchNew == 400 && mismatchNewAnswer.contains(otherDigest), "\(mismatchNewAnswer)")
        #expect(try await call("HEAD", String(repeating: "ab", count: 32)).0 == 404, "a refused body is not kept")
        #expect(try await call("HEAD", otherDigest).0 == 404, "nor stored under its own digest")

        // Over the limit: 413 naming the size, the limit and the flag.
        let big = [UInt8](repeating: 7, count: Self.limit + 1)
        let bigDigest = SHA256.hex(SHA256.hash(big))
        let (tooLarge, tooLargeAnswer) = try await call("PUT", bigDigest, body: Data(big))
        #expect(tooLarge == 413, "\(tooLargeAnswer)")
        #expect(tooLargeAnswer.contains("\(Self.limit + 1)") && tooLargeAnswer.contains("\(Self.limit)") && tooLargeAnswer.contains("--max-source-bytes"))
        #expect(try await call("HEAD", bigDigest).0 == 404)

        // Not a digest: 400, for both methods.
        let (badPut, badPutAnswer) = try await call("PUT", "picture.png", body: Data(bytes))
        #expect(badPut == 400 && badPutAnswer.contains("picture.png") && badPutAnswer.contains("SHA-256"), "\(badPutAnswer)")
        #expect(try await call("HEAD", digest.uppercased()).0 == 400)

        // No temporary file is left behind by the refused uploads.
        let leftovers = try FileManager.default.contentsOfDirectory(
            atPath: URL(fileURLWithPath: farm.service.options.dataDirectory).appendingPathComponent("blobs").path)
            .filter { $0.hasPrefix(".tmp-") }
        #expect(leftovers.isEmpty, "\(leftovers)")
    }
}
