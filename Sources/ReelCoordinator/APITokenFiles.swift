import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Where tokens live on disk, and how the CLI finds its own.
///
/// - A coordinator keeps an admin token in `DATA/api-token` (0600), made on its
///   first start: the operator's first credential, readable only by the account
///   that runs the farm.
/// - While it serves, it also puts that token at `RUNTIME/api-PORT.token`, where
///   RUNTIME is `$XDG_RUNTIME_DIR/reel` or `/tmp/reel-UID` (0700, owned by this
///   user, checked): so `reel status` on the same machine, as the same user,
///   finds it with no setup, and other users cannot.
/// - The CLI takes `REEL_TOKEN`, then (for a coordinator on loopback) that
///   runtime file, then `$XDG_CONFIG_HOME/reel/token` or `~/.config/reel/token`
///   (which must be 0600). Never a flag: flags show in `ps`.
public enum APITokenFiles {
    /// The per-user runtime directory, created 0700 if `create`; `nil` when it is
    /// not this user's alone (someone else made `/tmp/reel-UID` first).
    static func runtimeDirectory(create: Bool) -> String? {
        let environment = ProcessInfo.processInfo.environment
        let path = environment["XDG_RUNTIME_DIR"].map { "\($0)/reel" } ?? "/tmp/reel-\(getuid())"
        if create { mkdir(path, 0o700) }
        var info = stat()
        guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR, info.st_uid == getuid(), info.st_mode & 0o077 == 0 else {
            return nil
        }
        return path
    }

    /// The file a coordinator serving the API on `port` puts its admin token in.
    public static func localTokenPath(port: Int, create: Bool = false) -> String? {
        runtimeDirectory(create: create).map { "\($0)/api-\(port).token" }
    }

    /// The CLI's configuration file for a token.
    public static var configTokenPath: String {
        let environment = ProcessInfo.processInfo.environment
        let base = environment["XDG_CONFIG_HOME"] ?? "\(environment["HOME"] ?? NSHomeDirectory())/.config"
        return "\(base)/reel/token"
    }

    /// The token the CLI sends to `baseURL`, if it has one (see the type's documentation).
    public static func discover(for baseURL: URL) -> String? {
        if let token = ProcessInfo.processInfo.environment["REEL_TOKEN"]?.trimmingCharacters(in: .whitespacesAndNewlines), !token.isEmpty {
            return token
        }
        let host = baseURL.host ?? ""
        if host == "localhost" || host == "::1" || host.hasPrefix("127."), let port = baseURL.port,
            let path = localTokenPath(port: port), let token = readSecret(at: path)
        {
            return token
        }
        return readSecret(at: configTokenPath)
    }

    /// A token file's text, or `nil` when it is missing, empty, or readable by group or others.
    public static func readSecret(at path: String) -> String? {
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & 0o077 == 0 else { return nil }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return token.isEmpty ? nil : token
    }

    /// Writes `text` to `path` with mode 0600 from the first byte (a temporary
    /// file created 0600, then renamed over `path`).
    public static func writeSecret(_ text: String, to path: String) throws {
        let temporary = "\(path).\(getpid()).tmp"
        unlink(temporary)
        let fd = Glibc.open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: temporary]) }
        let bytes = Array((text + "\n").utf8)
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        fchmod(fd, 0o600)
        fsync(fd)
        Glibc.close(fd)
        guard written == bytes.count, rename(temporary, path) == 0 else {
            unlink(temporary)
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
        }
    }
}
