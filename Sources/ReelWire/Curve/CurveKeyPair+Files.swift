import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Key files. A key pair lives in `NAME.key`, written 0600 and refused when group
/// or others may read it (as ssh does), so a secret cannot leak through a
/// careless copy; its public half also goes to `NAME.pub`, one line
/// `<public key> NAME`, which is exactly one line of an allow-list, so
/// `cat workers/*.pub > allowed-workers` builds one.
extension CurveKeyPair {
    /// Writes `DIRECTORY/NAME.key` (0600, both halves) and `DIRECTORY/NAME.pub`
    /// (0644); refuses to overwrite either. Returns the two paths.
    @discardableResult
    public func write(to directory: String, name: String) throws(CurveKeyError) -> (secret: String, public: String) {
        let base = URL(fileURLWithPath: directory)
        let secretPath = base.appendingPathComponent("\(name).key").path
        let publicPath = base.appendingPathComponent("\(name).pub").path
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw .file(path: directory, reason: "cannot create the directory: \(error.localizedDescription)")
        }
        for path in [secretPath, publicPath] where FileManager.default.fileExists(atPath: path) {
            throw .file(path: path, reason: "already exists; remove it first or choose another --name (keys are never overwritten)")
        }
        let secretText = """
            # Reel CURVE key pair '\(name)'. Keep this file secret: it stays 0600, on this machine only.
            public-key = \(publicKey.z85)
            secret-key = \(secretKey.z85)

            """
        try Self.create(secretPath, contents: secretText, mode: 0o600)
        try Self.create(publicPath, contents: "\(publicKey.z85) \(name)\n", mode: 0o644)
        return (secretPath, publicPath)
    }

    /// Reads a `NAME.key` file; refuses one that group or others can read, and
    /// one whose halves do not belong together.
    public static func read(from path: String) throws(CurveKeyError) -> CurveKeyPair {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw .file(path: path, reason: "cannot read the key file (\(String(cString: strerror(errno)))); make one with `reel keys generate`")
        }
        guard info.st_mode & 0o077 == 0 else {
            throw .file(path: path, reason: "a secret key file must not be readable by group or others; run `chmod 600 \(path)`")
        }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw .file(path: path, reason: "cannot read the key file as UTF-8 text")
        }
        var fields: [String: String] = [:]
        for line in text.split(whereSeparator: \.isNewline) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty, !trimmed.hasPrefix("#"), let equals = trimmed.firstIndex(of: "=") else { continue }
            let key = trimmed[..<equals].trimmingCharacters(in: .whitespaces)
            fields[key] = trimmed[trimmed.index(after: equals)...].trimmingCharacters(in: .whitespaces)
        }
        guard let publicText = fields["public-key"], let secretText = fields["secret-key"] else {
            throw .file(path: path, reason: "a key file has 'public-key = …' and 'secret-key = …' lines (a .pub file holds only the public half)")
        }
        let publicKey: CurvePublicKey
        let secretKey: CurveSecretKey
        do {
            publicKey = try CurvePublicKey(z85: publicText)
            secretKey = try CurveSecretKey(z85: secretText)
        } catch {
            throw .file(path: path, reason: error.description)
        }
        guard try derivePublic(from: secretKey) == publicKey else {
            throw .file(path: path, reason: "the public key does not belong to the secret key")
        }
        return CurveKeyPair(publicKey: publicKey, secretKey: secretKey)
    }

    /// `O_CREAT | O_EXCL` with the final mode, so the secret is never readable by
    /// others, even for a moment.
    private static func create(_ path: String, contents: String, mode: mode_t) throws(CurveKeyError) {
        let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw .file(path: path, reason: "cannot create: \(String(cString: strerror(errno)))") }
        defer { Glibc.close(fd) }
        // The umask may have narrowed `mode`; it can only remove bits, but say so exactly.
        fchmod(fd, mode)
        let bytes = Array(contents.utf8)
        var written = 0
        while written < bytes.count {
            let count = bytes[written...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { throw .file(path: path, reason: "cannot write: \(String(cString: strerror(errno)))") }
            written += count
        }
        guard fsync(fd) == 0 else { throw .file(path: path, reason: "cannot sync: \(String(cString: strerror(errno)))") }
    }
}

extension CurvePublicKey {
    /// The key in a `.pub` file (or any file whose first word is a public key),
    /// e.g. the coordinator's for a worker's `--coordinator-key`.
    public static func read(from path: String) throws(CurveKeyError) -> CurvePublicKey {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw .file(path: path, reason: "cannot read the public key file; copy the coordinator's .pub file here")
        }
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        // Z85 has '#' among its characters: a line starting with '#' is a comment
        // only when it does not start with a key.
        guard let line = lines.first(where: { line in
                guard let word = line.split(separator: " ").first else { return false }
                return !word.hasPrefix("#") || (try? CurvePublicKey(z85: String(word))) != nil
            }),
            let word = line.split(separator: " ").first
        else { throw .file(path: path, reason: "holds no public key") }
        if line.contains("secret-key") || line.hasPrefix("public-key") {
            throw .file(path: path, reason: "is a key pair file; pass the .pub file, which never holds a secret")
        }
        do {
            return try CurvePublicKey(z85: String(word))
        } catch {
            throw .file(path: path, reason: error.description)
        }
    }
}
