import Foundation
import HTTPTypes
import Hummingbird
import Logging
import ServiceLifecycle

/// The coordinator's HTTP JSON API (the CLI's way in; later metrics and a
/// dashboard). Every route forwards to the event loop through the mailbox, so the
/// loop stays the only owner of jobs, workers and the database connection.
///
/// | route | answer |
/// |---|---|
/// | `GET /v1/health` | ``FarmAPI/Health`` from the loop (503 when the database is unreachable) |
/// | `POST /v1/jobs` | ``FarmAPI/SubmitRequest`` → ``FarmAPI/Submitted`` (201; 200 for an `Idempotency-Key` already used) |
/// | `GET /v1/jobs` | `[JobStatus]`, a page (``addListings(to:mailbox:)``) |
/// | `GET /v1/jobs/:id` | `JobStatus` |
/// | `POST /v1/jobs/:id/retry`, `/cancel` | `JobStatus` |
/// | `GET /v1/jobs/:id/video` | the MP4, with `Range` (CoordinatorHTTPServer+Range.swift) |
/// | `GET /v1/jobs/:id/previews`, `/previews/:chunk` | `[Preview]`, a segment's JPEG (CoordinatorHTTPServer+Previews.swift) |
/// | `GET /v1/workers` | `[WorkerStatus]` |
/// | `GET /metrics` | Prometheus text format (``FarmMetrics``) |
/// | `POST /v1/tokens`, `GET /v1/tokens`, `POST /v1/tokens/:name/revoke` | tokens (admin) |
/// | `PUT /v1/sources/:sha256`, `HEAD /v1/sources/:sha256` | conditioning sources (CoordinatorHTTPServer+Sources.swift) |
///
/// Every route but health needs a bearer token with the route's ``APIScope``.
public struct CoordinatorHTTPServer: Sendable {
    /// Submissions carry prompt embeddings (512 × 4096 floats is 8 MiB, base64 11 MiB).
    public static let maxRequestBytes = 64 << 20

    public let mailbox: CoordinatorMailbox
    public let host: String
    public let port: Int
    /// Bearer tokens every route but health needs (CoordinatorHTTPServer+Auth.swift); `nil` serves without.
    public let tokens: APITokens?
    /// The operator's certificate and key (APITLS.swift); `nil` serves plain HTTP.
    public let tls: APITLS?
    /// Where uploaded conditioning sources go; `nil` serves no source routes.
    public let sources: SourceUploads?

    public init(
        mailbox: CoordinatorMailbox, host: String, port: Int, tokens: APITokens? = nil, tls: APITLS? = nil, sources: SourceUploads? = nil
    ) {
        self.mailbox = mailbox
        self.sources = sources
        self.host = host
        self.port = port
        self.tokens = tokens
        self.tls = tls
    }

    /// Serves until SIGINT or SIGTERM arrives or `stop` returns true (polled every
    /// 100 ms). `onListening` gets the bound port (useful with port 0). Stopping
    /// anything else is the caller's, once this returns.
    public func run(
        logger: Logger, until stop: @escaping @Sendable () -> Bool, onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) async throws {
        let app = Application(
            router: router(), server: try serverBuilder(), configuration: .init(address: .hostname(host, port: port), serverName: "reel"),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? 0) }, logger: logger)
        let services = ServiceGroup(
            configuration: .init(services: [app], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        // Each child returns whether it was the service group.
        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                try await services.run()
                return true
            }
            group.addTask {
                while !stop(), !Task.isCancelled { try? await Task.sleep(for: .milliseconds(100)) }
                if !Task.isCancelled { await services.triggerGracefulShutdown() }
                return false
            }
            // A signal ends the service group first: the poller is cancelled. Otherwise
            // `stop` ended the poller, which asked the group to shut down: wait for it.
            if try await group.next() == true { group.cancelAll() }
            try await group.waitForAll()
        }
    }

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        let mailbox = self.mailbox
        if let tokens {
            router.add(middleware: BearerAuthMiddleware(tokens: tokens))
            addTokenRoutes(to: router, tokens: tokens)
        }
        router.get("/v1/health") { _, _ in
            switch await mailbox.send(.health) {
            case .success(.health(let health)): return Self.json(health, status: health.ok ? .ok : .serviceUnavailable)
            case .success: return Self.error(.internalError("unexpected reply"))
            case .failure(let error): return Self.error(error)
            }
        }
        router.post("/v1/jobs") { request, _ in
            let body: Data
            do {
                body = Data(buffer: try await request.body.collect(upTo: Self.maxRequestBytes))
            } catch {
                return Self.error(.badRequest("the request body is larger than \(Self.maxRequestBytes >> 20) MiB"))
            }
            let submit: FarmAPI.SubmitRequest
            do {
                submit = try FarmAPI.decoder().decode(FarmAPI.SubmitRequest.self, from: body)
            } catch {
                return Self.error(.badRequest("the job is not valid JSON for a submission: \(Self.describe(error))"))
            }
            // A retried POST with the same key gets the job the first one created.
            if let key = request.headers[.idempotencyKey] {
                guard (1 ... FarmAPI.maxIdempotencyKeyLength).contains(key.utf8.count) else {
                    return Self.error(.badRequest("Idempotency-Key must be 1 to \(FarmAPI.maxIdempotencyKeyLength) bytes"))
                }
                return Self.answer(await mailbox.send(.submitIdempotent(submit, key: key)), status: .created)
            }
            return Self.answer(await mailbox.send(.submit(submit)), status: .created)
        }
        Self.addListings(to: router, mailbox: mailbox)
        Self.addPreviews(to: router, mailbox: mailbox)
        if let sources { Self.addSources(to: router, sources: sources) }
        router.get("/v1/jobs/:id") { _, context in
            guard let id = context.parameters.get("id", as: Int64.self) else { return Self.badID(context) }
            return Self.answer(await mailbox.send(.job(id)))
        }
        router.post("/v1/jobs/:id/retry") { _, context in
            guard let id = context.parameters.get("id", as: Int64.self) else { return Self.badID(context) }
            return Self.answer(await mailbox.send(.retry(id)))
        }
        router.post("/v1/jobs/:id/cancel") { _, context in
            guard let id = context.parameters.get("id", as: Int64.self) else { return Self.badID(context) }
            return Self.answer(await mailbox.send(.cancel(id)))
        }
        router.get("/v1/jobs/:id/video") { request, context in
            guard let id = context.parameters.get("id", as: Int64.self) else { return Self.badID(context) }
            switch await mailbox.send(.video(id)) {
            case .success(.video(let path)):
                return try await Self.file(at: path, contentType: Self.resultType(path), request: request, context: context)
            case .success:
                return Self.error(.internalError("unexpected reply"))
            case .failure(let error):
                return Self.error(error)
            }
        }
        router.get("/v1/workers") { _, _ in Self.answer(await mailbox.send(.workers)) }
        router.post("/v1/workers/:name/release") { _, context in
            Self.answer(await mailbox.send(.releaseWorker(context.parameters.get("name") ?? "")))
        }
        router.get("/metrics") { _, _ in await Self.metrics(mailbox) }
        return router
    }

    static func answer(_ result: Result<CoordinatorMailbox.Reply, APIError>, status: HTTPResponse.Status = .ok) -> Response {
        switch result {
        case .failure(let error): return Self.error(error)
        case .success(.submitted(let id)): return json(FarmAPI.Submitted(id: id), status: status)
        case .success(.resubmitted(let id)): return json(FarmAPI.Submitted(id: id), status: .ok)
        case .success(.events(let events)): return json(events)
        case .success(.shards(let shards)): return json(shards)
        case .success(.jobs(let jobs)): return json(jobs)
        case .success(.job(let job)): return json(job)
        case .success(.workers(let workers)): return json(workers)
        case .success(.previews(let previews)): return json(previews)
        case .success(.video), .success(.health), .success(.metrics), .success(.file): return Self.error(.internalError("unexpected reply"))
        }
    }

    /// `/metrics`: the loop brings the registry up to date, then it is written out
    /// here, off the loop.
    static func metrics(_ mailbox: CoordinatorMailbox) async -> Response {
        switch await mailbox.send(.metrics) {
        case .success(.metrics):
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: mailbox.metrics.exposition())))
        case .success: return error(.internalError("unexpected reply"))
        case .failure(let failure): return error(failure)
        }
    }

    static func badID(_ context: BasicRequestContext) -> Response {
        error(.badRequest("job id '\(context.parameters.get("id") ?? "")' is not a number; `reel status` lists the jobs"))
    }

    static func error(_ error: APIError) -> Response {
        json(FarmAPI.ErrorBody(error: error.description), status: .init(code: error.status))
    }

    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        let data = (try? FarmAPI.encoder().encode(value)) ?? Data("{\"error\":\"encoding failed\"}".utf8)
        return Response(
            status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// A decoding error as one line, naming the key path.
    static func describe(_ error: Error) -> String {
        switch error as? DecodingError {
        case .keyNotFound(let key, let context)?:
            return "missing \"\(key.stringValue)\" at \(path(context))"
        case .typeMismatch(_, let context)?, .valueNotFound(_, let context)?, .dataCorrupted(let context)?:
            return "\(context.debugDescription) at \(path(context))"
        default:
            return "\(error)"
        }
    }

    private static func path(_ context: DecodingError.Context) -> String {
        context.codingPath.isEmpty ? "the top level" : context.codingPath.map(\.stringValue).joined(separator: ".")
    }
}
