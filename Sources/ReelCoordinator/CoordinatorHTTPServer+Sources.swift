import Foundation
import HTTPTypes
import Hummingbird
import ReelHash

/// Conditioning sources, uploaded once and named by digest (``SourceUploads``):
///
/// | route | answer | scope |
/// |---|---|---|
/// | `PUT /v1/sources/:sha256` | the file's bytes as the body → `201 {"sha256", "bytes"}` (200 if it was already there) | submit |
/// | `HEAD /v1/sources/:sha256` | 200 if the coordinator has it, 404 otherwise | read |
///
/// They run on the server's tasks against the blob store, never through the
/// loop: the body is streamed to disk and hashed as it arrives.
extension CoordinatorHTTPServer {
    /// `PUT /v1/sources/:sha256`'s answer.
    public struct SourceStored: Codable, Sendable, Equatable {
        public var sha256: String
        public var bytes: Int

        public init(sha256: String, bytes: Int) {
            self.sha256 = sha256
            self.bytes = bytes
        }
    }

    static func addSources(to router: Router<BasicRequestContext>, sources: SourceUploads) {
        router.put("/v1/sources/:sha256") { request, context in
            let digest = context.parameters.get("sha256") ?? ""
            guard SHA256.isHexDigest(digest) else { return badDigest(digest) }
            // A declared length over the limit is refused before a byte is read.
            if let declared = request.headers[.contentLength].flatMap(Int.init), declared > sources.maxBytes {
                return tooLarge(declared, limit: sources.maxBytes)
            }
            let outcome: SourceUploads.Outcome
            do {
                outcome = try await sources.store(request.body, sha256: digest)
            } catch {
                return Self.error(.unavailable("cannot store source \(digest): \(error)"))
            }
            switch outcome {
            case .stored(let bytes, let created):
                return json(SourceStored(sha256: digest, bytes: bytes), status: created ? .created : .ok)
            case .mismatch(let actual):
                return Self.error(.badRequest(
                    "the body's SHA-256 is \(actual), not \(digest) as the path says: PUT each file at /v1/sources/<the SHA-256 of its bytes>"))
            case .tooLarge(let received):
                return tooLarge(received, limit: sources.maxBytes, atLeast: true)
            }
        }
        router.head("/v1/sources/:sha256") { _, context in
            let digest = context.parameters.get("sha256") ?? ""
            guard SHA256.isHexDigest(digest) else { return badDigest(digest) }
            return Response(status: sources.has(digest) ? .ok : .notFound)
        }
    }

    static func badDigest(_ digest: String) -> Response {
        error(.badRequest("'\(digest.prefix(80))' is not a SHA-256 digest: a source is named by the 64 lowercase hex digits of its bytes' SHA-256"))
    }

    static func tooLarge(_ bytes: Int, limit: Int, atLeast: Bool = false) -> Response {
        json(
            FarmAPI.ErrorBody(error:
                "the source is \(atLeast ? "more than " : "")\(bytes) bytes; this coordinator takes at most \(limit) (--max-source-bytes)"),
            status: .contentTooLarge)
    }
}
