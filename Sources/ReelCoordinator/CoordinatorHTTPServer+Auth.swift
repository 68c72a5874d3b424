import Foundation
import HTTPTypes
import Hummingbird
import ReelPlan
import ReelStore

/// Bearer tokens on every route but the open ones (``APIScope/required(method:path:)``):
/// 401 without a live token, 403 without the scope, both with the API's
/// `{"error": "…"}` body.
///
/// A browser's dashboard cannot put a header on an `EventSource` or a `<video>`,
/// so the token may come instead in the `reel_token` cookie, which the page sets
/// (SameSite=Strict) from what the user pastes. A cookie is sent by the browser
/// on its own, so a request that changes something (not GET or HEAD) on a
/// cookie's word must also carry `X-Reel-Dashboard: 1`, a header no cross-site
/// form can add: the cookie alone never cancels a job.
struct BearerAuthMiddleware<Context: RequestContext>: RouterMiddleware {
    let tokens: APITokens

    static var cookieName: String { "reel_token" }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let method = request.method.rawValue
        guard let needed = APIScope.required(method: method, path: request.uri.path) else {
            return try await next(request, context)
        }
        var header = request.headers[.authorization]
        if header == nil, let token = Self.cookieToken(request.headers[values: .cookie]) {
            guard method == "GET" || method == "HEAD" || request.headers[.reelDashboard] == "1" else {
                return CoordinatorHTTPServer.json(
                    FarmAPI.ErrorBody(error: "\(method) with the dashboard's cookie needs the X-Reel-Dashboard: 1 header; scripts send Authorization: Bearer TOKEN"),
                    status: .forbidden)
            }
            header = "Bearer \(token)"
        }
        switch tokens.authorize(header: header, needs: needed) {
        case .success:
            return try await next(request, context)
        case .failure(let denial):
            var response = CoordinatorHTTPServer.json(FarmAPI.ErrorBody(error: denial.message), status: .init(code: denial.status))
            if denial.status == 401 { response.headers[.wwwAuthenticate] = "Bearer realm=\"reel\"" }
            return response
        }
    }
}

extension BearerAuthMiddleware {
    /// The `reel_token` cookie's value among `Cookie` header lines, if any.
    static func cookieToken(_ lines: [String]) -> String? {
        for line in lines {
            for pair in line.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                guard parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == cookieName else { continue }
                let value = parts[1].trimmingCharacters(in: .whitespaces)
                return value.isEmpty ? nil : value
            }
        }
        return nil
    }
}

extension CoordinatorHTTPServer {
    /// `POST /v1/tokens`, `GET /v1/tokens`, `POST /v1/tokens/:name/revoke` (admin,
    /// checked by ``BearerAuthMiddleware``). They run on the server's tasks
    /// against the tokens' own connection, not through the loop: a token is no
    /// part of the farm's scheduling state.
    func addTokenRoutes(to router: Router<BasicRequestContext>, tokens: APITokens) {
        router.post("/v1/tokens") { request, _ in
            let body = Data(buffer: try await request.body.collect(upTo: 64 << 10))
            let asked: FarmAPI.TokenRequest
            do {
                asked = try FarmAPI.decoder().decode(FarmAPI.TokenRequest.self, from: body)
            } catch {
                return Self.error(.badRequest("a token request is {\"name\": \"…\", \"scope\": \"read|submit|admin\"}: \(Self.describe(error))"))
            }
            guard Self.isTokenName(asked.name) else {
                return Self.error(.badRequest("token name '\(asked.name.prefix(80))' must be 1–64 letters, digits, '.', '-' or '_'"))
            }
            do {
                let (token, row) = try tokens.create(name: asked.name, scope: asked.scope)
                return Self.json(FarmAPI.TokenCreated(token: token, info: Self.info(row)), status: .created)
            } catch {
                if case .server(_, let state, _, _, _)? = error as? StoreError, state == "23505" {
                    return Self.error(.conflict("a live token is already called '\(asked.name)'; revoke it first or choose another name"))
                }
                return Self.error(.unavailable("cannot store the token: \(error)"))
            }
        }
        router.get("/v1/tokens") { _, _ in
            do {
                return Self.json(try tokens.list().map(Self.info))
            } catch {
                return Self.error(.unavailable("cannot read the tokens: \(error)"))
            }
        }
        router.post("/v1/tokens/:name/revoke") { _, context in
            let name = context.parameters.get("name") ?? ""
            // No token can have another name, and a NUL could not even be looked up.
            guard Self.isTokenName(name) else {
                return Self.error(.notFound("no live token is called '\(name.prefix(80))'; `reel token list` shows them"))
            }
            do {
                guard try tokens.revoke(name: name) else {
                    return Self.error(.notFound("no live token is called '\(name.prefix(80))'; `reel token list` shows them"))
                }
                guard let row = try tokens.list().last(where: { $0.name == name }) else {
                    return Self.error(.internalError("the revoked token's row is gone"))
                }
                return Self.json(Self.info(row))
            } catch {
                return Self.error(.unavailable("cannot revoke the token: \(error)"))
            }
        }
    }

    static func info(_ row: APITokenRow) -> FarmAPI.TokenInfo {
        FarmAPI.TokenInfo(
            id: row.id, name: row.name, scope: row.scope, createdAt: row.createdAt.date, revokedAt: row.revokedAt?.date)
    }

    /// Whether `name` can name a token: 1–64 ASCII letters, digits, `.`, `-` or `_`.
    public static func isTokenName(_ name: String) -> Bool {
        (1 ... 64).contains(name.count) && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }
    }
}

extension HTTPField.Name {
    /// What the dashboard's page adds to its POSTs (see ``BearerAuthMiddleware``).
    static let reelDashboard = Self("X-Reel-Dashboard")!
}
