import Foundation

extension CoordinatorClient {
    /// What `PUT /v1/sources/{sha256}` answers: the digest it stored the bytes under
    /// and how many there were.
    public struct UploadedSource: Codable, Sendable, Equatable {
        public var sha256: String
        public var bytes: Int
        public init(sha256: String, bytes: Int) {
            self.sha256 = sha256
            self.bytes = bytes
        }
    }

    /// Why a source could not be uploaded, with what to do about it.
    public enum SourceUploadFailure: Error, CustomStringConvertible, Equatable {
        /// The coordinator has no `/v1/sources` route (404/405 to the PUT): it is older
        /// than conditioning.
        case noRoute(coordinator: String, status: Int)
        /// The body was over the coordinator's `--max-source-bytes` (413).
        case tooLarge(bytes: Int, message: String)
        /// The coordinator computed another digest from the body (400).
        case digestMismatch(digest: String, message: String)

        public var description: String {
            switch self {
            case .noRoute(let coordinator, let status):
                "the coordinator at \(coordinator) has no source upload (PUT /v1/sources answered \(status)): it is older than "
                    + "conditioning; upgrade it (and its workers) to this reel's version, or submit without conditioning flags"
            case .tooLarge(let bytes, let message):
                "\(bytes) bytes is more than the coordinator accepts (\(message)); shorten or re-encode the file, "
                    + "or ask its operator to raise `reel coordinator --max-source-bytes`"
            case .digestMismatch(let digest, let message):
                "the coordinator did not get the bytes of sha256 \(digest) (\(message)); the file may have changed while it was sent: try again"
            }
        }
    }

    /// Whether the coordinator holds the source named `digest` (`HEAD /v1/sources/{sha256}`:
    /// 200 yes, 404 no; an old coordinator without the route also answers 404, and the
    /// upload that follows says so).
    public func hasSource(_ digest: String) async throws -> Bool {
        let (data, status) = try await raw("HEAD", "/v1/sources/\(digest)", body: nil)
        switch status {
        case 200: return true
        case 404: return false
        default: throw failure(data, status)
        }
    }

    /// Sends a source file's bytes (`PUT /v1/sources/{sha256}`, scope `submit`).
    /// - Throws: ``SourceUploadFailure`` for the answers that need the user to act
    ///   differently, ``Failure`` for the rest.
    @discardableResult
    public func uploadSource(_ digest: String, bytes: Data) async throws -> UploadedSource {
        let (data, status) = try await raw("PUT", "/v1/sources/\(digest)", body: bytes, contentType: "application/octet-stream")
        switch status {
        case 200, 201:
            do { return try FarmAPI.decoder().decode(UploadedSource.self, from: data) } catch {
                throw Failure(status: status, message: "the coordinator's answer to PUT /v1/sources is not what this reel expects: \(error)")
            }
        case 404, 405: throw SourceUploadFailure.noRoute(coordinator: baseURL.absoluteString, status: status)
        case 413: throw SourceUploadFailure.tooLarge(bytes: bytes.count, message: failure(data, status).message)
        case 400: throw SourceUploadFailure.digestMismatch(digest: digest, message: failure(data, status).message)
        default: throw failure(data, status)
        }
    }
}
