import Foundation
import Logging
import ReelCoordinator
import ReelStore

/// The API's tokens: loaded at start, the admin token kept in `DATA/api-token`,
/// and advertised to the same user's CLI while the API is served (``APITokenFiles``).
extension CoordinatorService {
    /// The admin token's file in the data directory.
    public var adminTokenPath: String { URL(fileURLWithPath: options.dataDirectory).appendingPathComponent("api-token").path }

    /// Opens the tokens' connection and makes sure `DATA/api-token` holds a live
    /// admin token: made on the first start, and again if it was revoked or deleted.
    func startTokens(url: PostgresURL, data: URL) throws {
        let tokens = try APITokens(store: FarmStore(connection: try PostgresConnection(url: url)))
        self.tokens = tokens
        let path = adminTokenPath
        if let existing = APITokenFiles.readSecret(at: path), case .success = tokens.authorize(header: "Bearer \(existing)", needs: .admin) {
            return
        }
        // The name is reused: an admin token whose file is gone is revoked, so it cannot linger unseen.
        _ = try tokens.revoke(name: "local-admin")
        let (token, _) = try tokens.create(name: "local-admin", scope: .admin)
        try APITokenFiles.writeSecret(token, to: path)
        logger.info("wrote an admin API token (0600); `reel token create` makes tokens for others", metadata: ["path": "\(path)"])
    }

    /// Puts the admin token where this user's CLI looks for the coordinator on `port`.
    func advertiseLocalToken(port: Int) {
        guard let token = APITokenFiles.readSecret(at: adminTokenPath), let path = APITokenFiles.localTokenPath(port: port, create: true) else {
            logger.warning("cannot put the admin token where the local CLI finds it; set REEL_TOKEN from \(adminTokenPath)")
            return
        }
        do {
            try APITokenFiles.writeSecret(token, to: path)
            localTokenFile = path
        } catch {
            logger.warning("cannot write the local token file", metadata: ["path": "\(path)", "error": "\(error)"])
        }
    }

    func stopTokens() {
        if let localTokenFile { unlink(localTokenFile) }
        localTokenFile = nil
    }
}
