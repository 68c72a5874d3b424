import Testing

@testable import ReelCoordinator

/// Which scope each route needs: health is open, reads need read, changes need
/// submit, tokens need admin, the dashboard's page and the OpenAPI document
/// are open, and a route nobody listed is never open.
@Suite struct APIScopeTests {
    @Test func everyRouteHasItsScope() {
        let table: [(String, String, APIScope?)] = [
            ("GET", "/v1/health", nil),
            ("GET", "/v1/health/", nil),
            ("POST", "/v1/health", .submit),
            ("GET", "/v1/jobs", .read),
            ("GET", "/v1/jobs/7", .read),
            ("GET", "/v1/jobs/7/video", .read),
            ("GET", "/v1/workers", .read),
            ("POST", "/v1/jobs", .submit),
            ("POST", "/v1/jobs/7/retry", .submit),
            ("POST", "/v1/jobs/7/cancel", .submit),
            ("GET", "/v1/tokens", .admin),
            ("POST", "/v1/tokens", .admin),
            ("POST", "/v1/tokens/ci/revoke", .admin),
            ("POST", "/v1/workers/gpu-1/release", .admin),
            ("GET", "/v1/workers/gpu-1/release", .read),
            // The dashboard's page and the API's description hold no farm data.
            ("GET", "/dashboard", nil),
            ("GET", "/", nil),
            ("GET", "/openapi.json", nil),
            ("POST", "/dashboard", .submit),
            // Routes nobody listed are closed by default.
            ("GET", "/metrics", .read),
            ("GET", "/dashboard/data", .read),
            ("DELETE", "/v1/jobs/7", .submit),
            ("GET", "/v1/health?x=1", nil),
            ("GET", "/v1/healthz", .read),
        ]
        for (method, path, scope) in table {
            #expect(APIScope.required(method: method, path: path) == scope, "\(method) \(path)")
        }
    }

    @Test func scopesAreOrdered() {
        #expect(APIScope.read < .submit && APIScope.submit < .admin)
        #expect(!(APIScope.admin < .read))
    }
}
