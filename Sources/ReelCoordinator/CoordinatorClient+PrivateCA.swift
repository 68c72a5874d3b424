import Foundation
import NIOCore

extension CoordinatorClient {
    /// ``raw(_:_:body:)`` for an `https://` coordinator whose certificate `ca` signed (``PrivateCAClient``).
    func raw(_ method: String, url: URL, body: Data?, contentType: String = "application/json", trusting ca: PrivateCA) async throws -> (Data, Int) {
        var headers: [(String, String)] = []
        if let token { headers.append(("Authorization", "Bearer \(token)")) }
        if body != nil { headers.append(("Content-Type", contentType)) }
        do {
            return try await PrivateCAClient(ca: ca).send(method: method, url: url, headers: headers, body: body, timeout: .seconds(60))
        } catch {
            let text = "\(error)"
            let untrusted = text.contains("CERTIFICATE_VERIFY_FAILED") || text.contains("certificate verify failed")
            throw Failure(
                status: nil,
                message: "cannot reach the coordinator at \(baseURL.absoluteString) (\(text)); "
                    + (untrusted
                        ? "its certificate is not signed by the CA in \(ca.path), or does not name \(url.host ?? "the host"): pass the CA that signed it"
                        : "start one with `reel up` or `reel coordinator`, or pass --coordinator"))
        }
    }
}
