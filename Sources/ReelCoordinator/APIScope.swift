/// What an API token may do. Each scope includes the ones before it:
/// `read` < `submit` < `admin`.
public enum APIScope: String, Sendable, Codable, CaseIterable, Comparable {
    /// List and read jobs and workers, download videos.
    case read
    /// Also submit, retry and cancel jobs.
    case submit
    /// Also create, list and revoke tokens, and release quarantined workers.
    case admin

    public static func < (lhs: APIScope, rhs: APIScope) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }

    /// The scope a request needs, or `nil` for the open routes: `GET /v1/health`
    /// (a load balancer's or orchestrator's liveness probe carries no token, and
    /// the answer says only whether the loop and the database are up), and the
    /// documents that hold no farm data: the dashboard's page (`/dashboard`, and
    /// `/`, which redirects there; the page itself asks for a token) and
    /// `/openapi.json`.
    ///
    /// Decided by method and path alone, so a route added later is never open by
    /// accident: token routes and releasing a quarantined worker (which lets it
    /// compute for every job again) need `admin`, other reads (`GET`, `HEAD`)
    /// `read`, and every other method `submit`.
    static let openPaths: Set<String> = ["/v1/health", "/dashboard", "/", "/openapi.json"]

    public static func required(method: String, path: String) -> APIScope? {
        let path = path.split(separator: "?", maxSplits: 1).first.map(String.init) ?? path
        let trimmed = path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
        if (method == "GET" || method == "HEAD") && Self.openPaths.contains(trimmed) { return nil }
        if trimmed == "/v1/tokens" || trimmed.hasPrefix("/v1/tokens/") { return .admin }
        if method == "POST" && trimmed.hasPrefix("/v1/workers/") && trimmed.hasSuffix("/release") { return .admin }
        return method == "GET" || method == "HEAD" ? .read : .submit
    }
}
