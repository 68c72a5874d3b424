import Foundation

/// The token routes (admin).
extension CoordinatorClient {
    /// Makes a token; the answer holds it, shown this once.
    public func createToken(name: String, scope: APIScope) async throws -> FarmAPI.TokenCreated {
        try await call("POST", "/v1/tokens", body: try FarmAPI.encoder().encode(FarmAPI.TokenRequest(name: name, scope: scope)), as: FarmAPI.TokenCreated.self)
    }

    /// Every token, revoked ones too; never the tokens themselves.
    public func tokens() async throws -> [FarmAPI.TokenInfo] {
        try await call("GET", "/v1/tokens", as: [FarmAPI.TokenInfo].self)
    }

    /// Revokes the live token `name`.
    public func revokeToken(name: String) async throws -> FarmAPI.TokenInfo {
        guard CoordinatorHTTPServer.isTokenName(name) else {
            throw Failure(status: nil, message: "token name '\(name.prefix(80))' must be 1–64 letters, digits, '.', '-' or '_'")
        }
        return try await call("POST", "/v1/tokens/\(name)/revoke", as: FarmAPI.TokenInfo.self)
    }
}
