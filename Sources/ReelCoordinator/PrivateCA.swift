import Foundation
import NIOSSL

/// The certificates of a private CA the CLI trusts for an `https://` coordinator
/// (`--ca-cert FILE` or `REEL_CA_CERT`).
///
/// Foundation's URLSession on Linux (swift-corelibs-foundation over libcurl) has
/// no hook for an extra trust root: its `URLSessionCertificateAuthorityInfoFile`
/// variable is read on Android only (EasyHandle.swift, Swift 6.3.1), and libcurl
/// ignores `SSL_CERT_FILE` and `CURL_CA_BUNDLE` once it has its built-in bundle.
/// So calls to a coordinator with a private CA go over SwiftNIO and NIOSSL
/// (``PrivateCAClient``), trusting **only** these certificates for that
/// coordinator, not the system store: a public CA's certificate for the same
/// address is refused.
public struct PrivateCA: Sendable {
    /// The PEM file, as given.
    public let path: String
    /// Its certificates (at least one).
    let certificates: [NIOSSLCertificate]

    /// Why the file cannot be used, naming it and what to do.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// Loads `path`: it must exist, be readable and hold one or more PEM certificates.
    public init(path: String) throws(Failure) {
        self.path = path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw Failure(description: "\(path): no such CA certificate file (pass the PEM file of the CA that signed the coordinator's certificate)")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Failure(description: "\(path): cannot read the CA certificate file (check its permissions)")
        }
        guard String(decoding: data, as: UTF8.self).contains("-----BEGIN CERTIFICATE-----") else {
            throw Failure(description: "\(path): not a PEM certificate (expected '-----BEGIN CERTIFICATE-----'; convert DER with `openssl x509 -inform der -in FILE -out ca.pem`)")
        }
        let certificates: [NIOSSLCertificate]
        do {
            certificates = try NIOSSLCertificate.fromPEMBytes(Array(data))
        } catch {
            throw Failure(description: "\(path): its PEM certificates do not parse (\(error))")
        }
        guard !certificates.isEmpty else { throw Failure(description: "\(path): holds no certificate") }
        self.certificates = certificates
    }

    /// The CA named by `--ca-cert` or else by `REEL_CA_CERT`, if either is set.
    public static func named(option: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws(Failure) -> PrivateCA? {
        guard let path = option ?? environment["REEL_CA_CERT"].flatMap({ $0.isEmpty ? nil : $0 }) else { return nil }
        return try PrivateCA(path: path)
    }
}
