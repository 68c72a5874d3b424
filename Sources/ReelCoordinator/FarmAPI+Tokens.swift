import Foundation

extension FarmAPI {
    /// `POST /v1/tokens` (admin).
    public struct TokenRequest: Codable, Sendable {
        public var name: String
        public var scope: APIScope
        public init(name: String, scope: APIScope) {
            self.name = name
            self.scope = scope
        }
    }

    /// A token as `GET /v1/tokens` lists it: never the token.
    public struct TokenInfo: Codable, Sendable, Equatable {
        public var id: Int64
        public var name: String
        public var scope: String
        public var createdAt: Date
        public var revokedAt: Date?
    }

    /// `POST /v1/tokens`'s answer (201): the token, shown this once.
    public struct TokenCreated: Codable, Sendable {
        public var token: String
        public var info: TokenInfo
    }
}
