import CZeroMQ
import Foundation

/// A CurveZMQ public key: 32 bytes, written as 40 characters of Z85 (ZeroMQ's
/// printable encoding), the form libzmq's `ZMQ_CURVE_*KEY` options and the
/// allow-list files use. Public keys are safe to log.
public struct CurvePublicKey: Hashable, Sendable, CustomStringConvertible {
    /// The 40-character Z85 text.
    public let z85: String

    /// Checks that `z85` is 40 Z85 characters decoding to 32 bytes.
    public init(z85 text: String) throws(CurveKeyError) {
        self.z85 = try CurveKeyText.validated(text, what: "public key")
    }

    public var description: String { z85 }
}

/// A CurveZMQ secret key. It never appears in a description, a log line or an
/// error: `description` prints a placeholder, and the only way to its text is
/// ``ZMQOption/curveSecretKey(_:)`` and ``CurveKeyPair/write(to:name:)``.
public struct CurveSecretKey: Hashable, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The 40-character Z85 text; internal, so only ReelWire reads it.
    let z85: String

    /// Checks that `z85` is 40 Z85 characters decoding to 32 bytes; the error
    /// never quotes the text.
    public init(z85 text: String) throws(CurveKeyError) {
        self.z85 = try CurveKeyText.validated(text, what: "secret key", quote: false)
    }

    public var description: String { "CurveSecretKey(redacted)" }
    public var debugDescription: String { description }
}

/// A key pair: a coordinator's (the CURVE server) or a worker's (a client).
public struct CurveKeyPair: Sendable {
    public let publicKey: CurvePublicKey
    public let secretKey: CurveSecretKey

    public init(publicKey: CurvePublicKey, secretKey: CurveSecretKey) {
        self.publicKey = publicKey
        self.secretKey = secretKey
    }

    /// A fresh key pair from libzmq (`zmq_curve_keypair`, libsodium's randomness).
    public static func generate() throws(CurveKeyError) -> CurveKeyPair {
        guard CurveZMQ.isAvailable else { throw .unavailable }
        var publicText = [CChar](repeating: 0, count: 41)
        var secretText = [CChar](repeating: 0, count: 41)
        defer { for index in secretText.indices { secretText[index] = 0 } }
        guard zmq_curve_keypair(&publicText, &secretText) == 0 else { throw .unavailable }
        let publicKey = try CurvePublicKey(z85: String(cString: publicText))
        let secretKey = try CurveSecretKey(z85: String(cString: secretText))
        return CurveKeyPair(publicKey: publicKey, secretKey: secretKey)
    }

    /// The public key that belongs to `secretKey` (`zmq_curve_public`), to check
    /// that a key file's two halves match.
    static func derivePublic(from secretKey: CurveSecretKey) throws(CurveKeyError) -> CurvePublicKey {
        var publicText = [CChar](repeating: 0, count: 41)
        guard zmq_curve_public(&publicText, secretKey.z85) == 0 else { throw .unavailable }
        return try CurvePublicKey(z85: String(cString: publicText))
    }
}

/// Whether this libzmq was built with CURVE (Debian's libzmq5 is, with libsodium).
public enum CurveZMQ {
    public static var isAvailable: Bool { zmq_has("curve") == 1 }
}

/// Checking Z85 key text.
enum CurveKeyText {
    static func validated(_ text: String, what: String, quote: Bool = true) throws(CurveKeyError) -> String {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let shown = quote ? "'\(trimmed.prefix(60))'" : "(\(trimmed.count) characters, not shown)"
        guard trimmed.utf8.count == 40 else {
            throw .malformed("a CURVE \(what) is 40 Z85 characters; got \(shown)")
        }
        var bytes = [UInt8](repeating: 0, count: 32)
        guard zmq_z85_decode(&bytes, trimmed) != nil else {
            throw .malformed("a CURVE \(what) must be Z85 text (ZeroMQ's base-85); got \(shown)")
        }
        return trimmed
    }
}

/// Why a CURVE key or key file cannot be used. Never contains a secret key.
public enum CurveKeyError: Error, Sendable, Equatable, CustomStringConvertible {
    /// This libzmq has no CURVE (built without libsodium).
    case unavailable
    /// Key text that is not a Z85 key.
    case malformed(String)
    /// A key file that cannot be read, written or parsed, or whose permissions expose it.
    case file(path: String, reason: String)

    public var description: String {
        switch self {
        case .unavailable:
            return "this libzmq has no CURVE support (zmq_has(\"curve\") is 0); install Debian's libzmq5, which is built with libsodium"
        case let .malformed(reason): return reason
        case let .file(path, reason): return "\(path): \(reason)"
        }
    }
}
