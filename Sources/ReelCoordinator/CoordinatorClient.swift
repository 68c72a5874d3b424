import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The CLI's side of the HTTP API.
public struct CoordinatorClient: Sendable {
    /// `http://HOST:PORT` (or `https://`).
    public let baseURL: URL
    /// The bearer token sent with every call (see ``APITokenFiles/discover(for:)``).
    public let token: String?
    /// The private CA an `https://` coordinator's certificate is checked against,
    /// instead of the system's store (`--ca-cert`, `REEL_CA_CERT`).
    public let privateCA: PrivateCA?

    /// A client sending `token`, by default the one ``APITokenFiles/discover(for:)`` finds.
    public init(baseURL: URL, token: String? = nil, privateCA: PrivateCA? = nil) {
        self.baseURL = baseURL
        self.token = token ?? APITokenFiles.discover(for: baseURL)
        self.privateCA = privateCA
    }

    /// Why a call failed: the coordinator's own message, or why it could not be reached.
    public struct Failure: Error, CustomStringConvertible {
        public let status: Int?
        public let message: String
        public var description: String { message }
    }

    public func submit(_ request: FarmAPI.SubmitRequest) async throws -> Int64 {
        try await call("POST", "/v1/jobs", body: try FarmAPI.encoder().encode(request), as: FarmAPI.Submitted.self).id
    }

    /// Every job, read a page of ``FarmAPI/maxPageLimit`` at a time.
    public func jobs() async throws -> [FarmAPI.JobStatus] {
        var all: [FarmAPI.JobStatus] = []
        while true {
            let after = all.last.map { "&after=\($0.id)" } ?? ""
            let page = try await call("GET", "/v1/jobs?limit=\(FarmAPI.maxPageLimit)\(after)", as: [FarmAPI.JobStatus].self)
            all += page
            if page.count < FarmAPI.maxPageLimit { return all }
        }
    }

    public func job(_ id: Int64) async throws -> FarmAPI.JobStatus {
        try await call("GET", "/v1/jobs/\(id)", as: FarmAPI.JobStatus.self)
    }

    public func retry(_ id: Int64) async throws -> FarmAPI.JobStatus {
        try await call("POST", "/v1/jobs/\(id)/retry", as: FarmAPI.JobStatus.self)
    }

    public func cancel(_ id: Int64) async throws -> FarmAPI.JobStatus {
        try await call("POST", "/v1/jobs/\(id)/cancel", as: FarmAPI.JobStatus.self)
    }

    public func workers() async throws -> [FarmAPI.WorkerStatus] {
        try await call("GET", "/v1/workers", as: [FarmAPI.WorkerStatus].self)
    }

    /// Lifts worker `name`'s quarantine; the worker as it is now.
    public func releaseWorker(_ name: String) async throws -> [FarmAPI.WorkerStatus] {
        let escaped = name.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? name
        return try await call("POST", "/v1/workers/\(escaped)/release", as: [FarmAPI.WorkerStatus].self)
    }

    /// The coordinator's health, as its loop reports it.
    public func health() async throws -> FarmAPI.Health {
        try await call("GET", "/v1/health", as: FarmAPI.Health.self)
    }

    /// The job's MP4 bytes.
    public func video(_ id: Int64) async throws -> Data {
        let (data, status) = try await raw("GET", "/v1/jobs/\(id)/video", body: nil)
        guard status == 200 else { throw failure(data, status) }
        return data
    }

    func call<T: Decodable>(_ method: String, _ path: String, body: Data? = nil, as: T.Type) async throws -> T {
        let (data, status) = try await raw(method, path, body: body)
        guard (200 ..< 300).contains(status) else { throw failure(data, status) }
        do {
            return try FarmAPI.decoder().decode(T.self, from: data)
        } catch {
            throw Failure(status: status, message: "the coordinator's answer to \(method) \(path) is not what this reel expects: \(error)")
        }
    }

    func failure(_ data: Data, _ status: Int) -> Failure {
        let message = (try? FarmAPI.decoder().decode(FarmAPI.ErrorBody.self, from: data))?.error
        return Failure(status: status, message: message ?? "HTTP \(status) from the coordinator at \(baseURL.absoluteString)")
    }

    func raw(_ method: String, _ path: String, body: Data?, contentType: String = "application/json") async throws -> (Data, Int) {
        // A path with a query is appended as text: appendingPathComponent would escape its `?`.
        let url = path.contains("?") ? URL(string: baseURL.absoluteString + path) : baseURL.appendingPathComponent(path)
        guard let url else { throw Failure(status: nil, message: "'\(path)' does not make a URL with \(baseURL.absoluteString)") }
        if let privateCA, url.scheme == "https" { return try await raw(method, url: url, body: body, contentType: contentType, trusting: privateCA) }
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.timeoutInterval = 60
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let body {
            request.httpBody = body
            request.setValue(contentType, forHTTPHeaderField: "Content-Type")
        }
        do {
            let (data, response) = try await URLSession.shared.data(for: request)
            return (data, (response as? HTTPURLResponse)?.statusCode ?? 0)
        } catch {
            let untrusted = "\(error.localizedDescription)".contains("SSL certificate problem")
            throw Failure(
                status: nil,
                message: "cannot reach the coordinator at \(baseURL.absoluteString) (\(error.localizedDescription)); "
                    + (untrusted
                        ? "its certificate is not trusted by the system's store: if a private CA signed it, pass --ca-cert CA.pem (or set REEL_CA_CERT)"
                        : "start one with `reel up` or `reel coordinator`, or pass --coordinator"))
        }
    }
}
