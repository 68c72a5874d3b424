import Foundation
import HTTPTypes
import Hummingbird
import ReelPlan

/// Listings a page at a time (jobs with filters, events), the event stream, and
/// the API's own description. Each route is added on its own line of
/// ``addListings(to:mailbox:)``, so an access check can wrap any one of them.
///
/// | route | answer | scope |
/// |---|---|---|
/// | `GET /v1/jobs?state=&model=&after=&limit=` | `[JobStatus]`, `Link: <…>; rel="next"` while pages are full | read |
/// | `GET /v1/events?after=&limit=` | `[Event]`, the farm's log | read |
/// | `GET /v1/jobs/:id/events?after=&limit=` | `[Event]` of one job | read |
/// | `GET /v1/jobs/:id/events/stream?after=` | server-sent events, until the job ends | read |
/// | `GET /v1/jobs/:id/shards` | `[ShardCell]`, the job's grid | read |
/// | `GET /dashboard` (`/` redirects) | the web dashboard (``DashboardPage``) | none (its calls need read; cancel and retry need admin) |
/// | `GET /openapi.json` | the OpenAPI 3.1 document | none |
extension CoordinatorHTTPServer {
    static func addListings(to router: Router<BasicRequestContext>, mailbox: CoordinatorMailbox) {
        router.get("/v1/jobs") { request, _ in await jobPage(request, mailbox: mailbox) }
        router.get("/v1/events") { request, _ in await eventPage(request, job: nil, mailbox: mailbox) }
        router.get("/v1/jobs/:id/events") { request, context in
            guard let id = context.parameters.get("id", as: Int64.self) else { return badID(context) }
            return await eventPage(request, job: id, mailbox: mailbox)
        }
        router.get("/v1/jobs/:id/events/stream") { request, context in
            guard let id = context.parameters.get("id", as: Int64.self) else { return badID(context) }
            return await eventStream(request, job: id, mailbox: mailbox)
        }
        router.get("/v1/jobs/:id/shards") { _, context in
            guard let id = context.parameters.get("id", as: Int64.self) else { return badID(context) }
            return answer(await mailbox.send(.shards(id)))
        }
        router.get("/") { _, _ in Response(status: .seeOther, headers: [.location: "/dashboard"]) }
        router.get("/dashboard") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: DashboardPage.html)))
        }
        router.get("/openapi.json") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.json)))
        }
    }

    static func jobPage(_ request: Request, mailbox: CoordinatorMailbox) async -> Response {
        let parameters = request.uri.queryParameters
        var query = FarmAPI.JobQuery()
        do {
            (query.after, query.limit) = try page(parameters)
            for value in parameters[values: "state"] {
                for name in value.split(separator: ",") {
                    guard let state = JobState.Name(rawValue: String(name)) else {
                        throw APIError.badRequest(
                            "state '\(name.prefix(40))' is not a job state; use one of \(JobState.Name.allCases.map(\.rawValue).joined(separator: ", "))")
                    }
                    query.states.insert(state)
                }
            }
            if let model = parameters["model"] {
                guard (1 ... 200).contains(model.count) else { throw APIError.badRequest("model must be 1 to 200 characters") }
                guard !model.contains("\u{0}") else { throw APIError.badRequest("model must not contain a NUL character") }
                query.model = String(model)
            }
        } catch {
            return Self.error(error as? APIError ?? .badRequest("\(error)"))
        }
        let result = await mailbox.send(.jobPage(query))
        var response = answer(result)
        if case .success(.jobs(let jobs)) = result, jobs.count == query.limit, let last = jobs.last {
            var next = "/v1/jobs?after=\(last.id)&limit=\(query.limit)"
            for state in query.states.map(\.rawValue).sorted() { next += "&state=\(state)" }
            if let model = query.model { next += "&model=\(model.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }
            response.headers[.link] = "<\(next)>; rel=\"next\""
        }
        return response
    }

    static func eventPage(_ request: Request, job: Int64?, mailbox: CoordinatorMailbox) async -> Response {
        let after: Int64?, limit: Int
        do { (after, limit) = try page(request.uri.queryParameters) } catch { return Self.error(error as? APIError ?? .badRequest("\(error)")) }
        let result = await mailbox.send(.events(job: job, after: after, limit: limit))
        switch result {
        case .success(.events(let events)):
            var response = json(events)
            if events.count == limit, let last = events.last {
                let path = job.map { "/v1/jobs/\($0)/events" } ?? "/v1/events"
                response.headers[.link] = "<\(path)?after=\(last.id)&limit=\(limit)>; rel=\"next\""
            }
            return response
        case .success: return error(.internalError("unexpected reply"))
        case .failure(let failure): return error(failure)
        }
    }

    /// Server-sent events: each event of the job as `id:`/`event:`/`data:` (its
    /// JSON), polled from the log every half second. One response lasts at most
    /// ``streamSeconds`` (or until the job has finished and its log is read to the
    /// end); a client reconnects with the `Last-Event-ID` header, as EventSource
    /// does by itself, and a finished job with nothing left to send answers 204,
    /// which tells EventSource to stop. Short responses keep proxies and browsers
    /// that wait for idle network (headless Chromium's virtual time) from hanging.
    static func eventStream(_ request: Request, job: Int64, mailbox: CoordinatorMailbox) async -> Response {
        var after: Int64?
        do {
            (after, _) = try page(request.uri.queryParameters)
            if let last = request.headers[.lastEventID] {
                guard let id = Int64(last), id >= 0 else { throw APIError.badRequest("Last-Event-ID '\(last.prefix(40))' is not an event id") }
                after = id
            }
        } catch {
            return Self.error(error as? APIError ?? .badRequest("\(error)"))
        }
        // The job must exist before the stream starts, so a wrong id is a 404, not an empty stream.
        let head = await mailbox.send(.job(job))
        if case .failure(let failure) = head { return error(failure) }
        if case .success(.job(let status)) = head, ["succeeded", "failed", "cancelled"].contains(status.state),
            case .success(.events(let left)) = await mailbox.send(.events(job: job, after: after, limit: 1)), left.isEmpty
        {
            return Response(status: .noContent)
        }
        let start = after
        let body = ResponseBody { writer in
            var cursor = start
            let opened = ContinuousClock.now
            try await writer.write(ByteBuffer(string: "retry: 250\n\n"))
            while !Task.isCancelled, ContinuousClock.now - opened < streamSeconds {
                guard case .success(.events(let events)) = await mailbox.send(.events(job: job, after: cursor, limit: FarmAPI.maxPageLimit)) else { break }
                for event in events {
                    let data = (try? FarmAPI.encoder().encode(event)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
                    try await writer.write(ByteBuffer(string: "id: \(event.id)\nevent: \(event.kind)\ndata: \(data)\n\n"))
                    cursor = event.id
                }
                if events.count == FarmAPI.maxPageLimit { continue }
                guard case .success(.job(let status)) = await mailbox.send(.job(job)) else { break }
                if ["succeeded", "failed", "cancelled"].contains(status.state) {
                    // Events written just before the job ended are read once more, then the stream ends.
                    guard case .success(.events(let tail)) = await mailbox.send(.events(job: job, after: cursor, limit: FarmAPI.maxPageLimit)),
                        !tail.isEmpty
                    else { break }
                    continue
                }
                // A comment line keeps proxies from closing an idle stream.
                if events.isEmpty { try await writer.write(ByteBuffer(string: ": waiting\n\n")) }
                try await Task.sleep(for: .milliseconds(500))
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"], body: body)
    }

    /// How long one event-stream response lasts before the client reconnects.
    static let streamSeconds: Duration = .milliseconds(1500)

    /// `after` and `limit` from the query, checked.
    static func page(_ parameters: Parameters) throws(APIError) -> (after: Int64?, limit: Int) {
        var after: Int64?
        var limit = FarmAPI.defaultPageLimit
        if let text = parameters["after"] {
            guard let value = Int64(text), value >= 0 else { throw .badRequest("after '\(text.prefix(40))' is not an id (an integer ≥ 0)") }
            after = value
        }
        if let text = parameters["limit"] {
            guard let value = Int(text), (1 ... FarmAPI.maxPageLimit).contains(value) else {
                throw .badRequest("limit '\(text.prefix(40))' is not an integer from 1 to \(FarmAPI.maxPageLimit)")
            }
            limit = value
        }
        return (after, limit)
    }
}

extension HTTPField.Name {
    static let link = Self("Link")!
    static let lastEventID = Self("Last-Event-ID")!
    static let idempotencyKey = Self("Idempotency-Key")!
}
