import Foundation
import Logging
import ReelHash
import ReelStore

/// The API's bearer tokens: their hashes in PostgreSQL (``FarmStore/createToken(name:scope:sha256:)``),
/// and in memory for checking requests without a query.
///
/// A token is `reel_` and 64 hex digits: 32 bytes from the system's CSPRNG. Only
/// its SHA-256 is stored: with 256 random bits there is nothing to brute-force,
/// so a fast hash is enough, and a copy of the database holds no usable token.
/// Requests are checked against the in-memory table; every change goes through
/// this object (the API's token routes), which updates the table with the
/// database, so a revocation takes effect with the next request.
public final class APITokens: @unchecked Sendable {
    /// A live token as the server knows it: never the token itself.
    public struct Holder: Sendable, Equatable {
        public var name: String
        public var scope: APIScope
    }

    /// Why a request is not allowed: 401 or 403.
    public enum Denial: Error, Sendable, Equatable {
        /// No `Authorization: Bearer …` header (401).
        case missing
        /// A token that is not (or no longer) a live token (401).
        case unknown
        /// A live token without the scope the request needs (403).
        case insufficientScope(holder: String, has: APIScope, needs: APIScope)

        public var status: Int {
            if case .insufficientScope = self { return 403 }
            return 401
        }

        public var message: String {
            switch self {
            case .missing:
                return "this API needs a bearer token: set REEL_TOKEN or write it to ~/.config/reel/token (0600); an admin makes one with `reel token create`"
            case .unknown:
                return "the bearer token is not a live token (revoked, or from another farm); ask an admin for one made with `reel token create`"
            case let .insufficientScope(holder, has, needs):
                return "token '\(holder)' has scope \(has.rawValue), and this request needs \(needs.rawValue)"
            }
        }
    }

    private let store: FarmStore
    private let lock = NSLock()
    private var live: [String: Holder] = [:]

    /// Loads the live tokens; `store` is this object's own connection, used under its lock.
    public init(store: FarmStore) throws(StoreError) {
        self.store = store
        try reload()
    }

    /// Reads the live tokens from the database again.
    public func reload() throws(StoreError) {
        lock.lock()
        defer { lock.unlock() }
        var fresh: [String: Holder] = [:]
        for row in try store.tokens() where row.revokedAt == nil {
            guard let scope = APIScope(rawValue: row.scope) else { continue }
            fresh[row.sha256] = Holder(name: row.name, scope: scope)
        }
        live = fresh
    }

    /// Checks an `Authorization` header's value against `needed`.
    public func authorize(header: String?, needs needed: APIScope) -> Result<Holder, Denial> {
        guard let header, header.count > 7, header.prefix(7).lowercased() == "bearer " else { return .failure(.missing) }
        let token = header.dropFirst(7).trimmingCharacters(in: .whitespaces)
        let hash = Self.hash(token)
        guard let holder = lock.withLock({ live[hash] }) else { return .failure(.unknown) }
        guard holder.scope >= needed else {
            return .failure(.insufficientScope(holder: holder.name, has: holder.scope, needs: needed))
        }
        return .success(holder)
    }

    /// Makes a token: returns it (the only time it exists outside its holder) and its row.
    public func create(name: String, scope: APIScope) throws(StoreError) -> (token: String, row: APITokenRow) {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0 ..< 32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let token = "reel_" + SHA256.hex(bytes)
        let hash = Self.hash(token)
        lock.lock()
        defer { lock.unlock() }
        let row = try store.createToken(name: name, scope: scope.rawValue, sha256: hash)
        live[hash] = Holder(name: name, scope: scope)
        return (token, row)
    }

    /// Every token's row (hashes included, which reveal nothing), revoked ones too.
    public func list() throws(StoreError) -> [APITokenRow] {
        lock.lock()
        defer { lock.unlock() }
        return try store.tokens()
    }

    /// Revokes the live token `name`; `false` when there is none.
    public func revoke(name: String) throws(StoreError) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard try store.revokeToken(name: name) else { return false }
        live = live.filter { $0.value.name != name }
        return true
    }

    /// Lowercase hex SHA-256 of the token's UTF-8 text.
    static func hash(_ token: String) -> String {
        SHA256.hex(SHA256.hash(Array(token.utf8)))
    }
}
