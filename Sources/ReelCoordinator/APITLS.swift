import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import NIOSSL

/// TLS for the HTTP API from the operator's certificate chain and private key
/// (PEM files, e.g. from their CA or `openssl req -x509` for a private farm).
public struct APITLS: Sendable {
    /// The certificate chain, leaf first (PEM).
    public var certificatePath: String
    /// The private key (PEM), readable only by its owner.
    public var keyPath: String

    public init(certificatePath: String, keyPath: String) {
        self.certificatePath = certificatePath
        self.keyPath = keyPath
    }

    /// Why the files cannot be used.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// Loads both files; a key that group or others can read is refused, as are
    /// files that are not PEM.
    public func configuration() throws(Failure) -> TLSConfiguration {
        var info = stat()
        guard stat(keyPath, &info) == 0 else {
            throw Failure(description: "\(keyPath): cannot read the TLS key (\(String(cString: strerror(errno))))")
        }
        guard info.st_mode & 0o077 == 0 else {
            throw Failure(description: "\(keyPath): a TLS private key must not be readable by group or others; run `chmod 600 \(keyPath)`")
        }
        let chain: [NIOSSLCertificate]
        let key: NIOSSLPrivateKey
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificatePath)
        } catch {
            throw Failure(description: "\(certificatePath): not a PEM certificate chain (\(error))")
        }
        guard !chain.isEmpty else { throw Failure(description: "\(certificatePath): holds no certificate") }
        do {
            key = try NIOSSLPrivateKey(file: keyPath, format: .pem)
        } catch {
            throw Failure(description: "\(keyPath): not a PEM private key (\(error))")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        return configuration
    }
}

extension CoordinatorHTTPServer {
    /// HTTP/1.1, over TLS when ``tls`` is set.
    func serverBuilder() throws -> HTTPServerBuilder {
        guard let tls else { return .http1() }
        return try .tls(.http1(), tlsConfiguration: tls.configuration())
    }
}
