import CPostgres
import Foundation

/// A PostgreSQL connection string, parsed by libpq itself so that every form libpq
/// accepts works here: URLs (`postgres://user@/db?host=/socket/dir`,
/// `postgresql://user:pw@host:5432/db`) and keyword strings (`host=/run dbname=reel`).
///
/// The password is kept for connecting but never printed: ``description`` and
/// ``redacted`` show `***` in its place, and every ``StoreError`` holds the
/// redacted form, so a URL can be logged as is.
public struct PostgresURL: Sendable, Hashable, CustomStringConvertible {
    /// The options that were set, in libpq's keyword order (password included).
    private let options: [(keyword: String, value: String)]

    /// Parses `string` as libpq would; throws ``StoreError/invalidURL(_:reason:)``
    /// (with the password already stripped) if libpq cannot.
    public init(_ string: String) throws(StoreError) {
        var message: UnsafeMutablePointer<CChar>?
        guard let parsed = PQconninfoParse(string, &message) else {
            let reason = message.map { String(cString: $0).trimmingCharacters(in: .whitespacesAndNewlines) }
            if let message { PQfreemem(message) }
            // libpq's message may quote the whole string, password included.
            throw .invalidURL(Self.scrub(string), reason: Self.scrub(reason ?? "out of memory"))
        }
        defer { PQconninfoFree(parsed) }
        var options: [(String, String)] = []
        var option = parsed
        while let keyword = option.pointee.keyword {
            if let value = option.pointee.val { options.append((String(cString: keyword), String(cString: value))) }
            option += 1
        }
        self.options = options
    }

    /// A URL for a server listening only on the unix socket in `socketDirectory`.
    public static func socket(directory socketDirectory: String, user: String, database: String) -> PostgresURL {
        PostgresURL(options: [("user", user), ("host", socketDirectory), ("dbname", database)])
    }

    private init(options: [(keyword: String, value: String)]) { self.options = options }

    /// The value of a libpq keyword (`user`, `host`, `port`, `dbname`, …); `nil` if
    /// unset. The password is not available here.
    public subscript(keyword: String) -> String? {
        keyword == "password" ? nil : options.first { $0.keyword == keyword }?.value
    }

    /// The database name (`dbname`).
    public var database: String? { self["dbname"] }

    /// Whether the string carries a password.
    public var hasPassword: Bool { options.contains { $0.keyword == "password" } }

    /// This URL with the settings a farm needs to survive network faults, where the
    /// URL does not set them itself: a 5 s connect timeout, TCP keepalives that notice
    /// a dead peer within about 25 s, a 30 s limit on unacknowledged data, and a 60 s
    /// statement timeout. Without them a partition blocks a statement inside libpq
    /// until the kernel gives up, which takes minutes. (Keepalives and the TCP
    /// timeout do nothing on a unix socket, where a dead server closes it at once.)
    public func withFaultTimeouts() -> PostgresURL {
        let defaults: [(String, String)] = [
            ("connect_timeout", "5"), ("keepalives", "1"), ("keepalives_idle", "10"), ("keepalives_interval", "5"),
            ("keepalives_count", "3"), ("tcp_user_timeout", "30000"),
        ]
        var options = self.options
        for (keyword, value) in defaults where !options.contains(where: { $0.keyword == keyword }) {
            options.append((keyword, value))
        }
        let timeout = "-c statement_timeout=60000"
        if let index = options.firstIndex(where: { $0.keyword == "options" }) {
            if !options[index].value.contains("statement_timeout") { options[index].value += " " + timeout }
        } else {
            options.append(("options", timeout))
        }
        return PostgresURL(options: options)
    }

    /// The same server and credentials, another database.
    public func with(database: String) -> PostgresURL {
        PostgresURL(options: options.filter { $0.keyword != "dbname" } + [("dbname", database)])
    }

    /// A `postgres://` URL with the password replaced by `***`, safe to log.
    public var redacted: String {
        let unreserved = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))
        func encode(_ text: String, keeping extra: String = "") -> String {
            text.addingPercentEncoding(withAllowedCharacters: unreserved.union(CharacterSet(charactersIn: extra))) ?? text
        }
        var authority = ""
        if let user = self["user"] { authority += encode(user) }
        if hasPassword { authority += ":***" }
        if !authority.isEmpty { authority += "@" }
        // A socket directory or a host list cannot sit in the authority part.
        let host = self["host"]
        let hostInAuthority = host.map { !$0.hasPrefix("/") && !$0.contains(",") } ?? false
        if let host, hostInAuthority {
            authority += host.contains(":") ? "[\(host)]" : encode(host)
            if let port = self["port"] { authority += ":\(encode(port))" }
        }
        let inAuthority: Set<String> = hostInAuthority ? ["user", "password", "dbname", "host", "port"]
            : ["user", "password", "dbname"]
        let query = options.filter { !inAuthority.contains($0.keyword) }
            .map { "\($0.keyword)=\(encode($0.value, keeping: "/"))" }
        var url = "postgres://\(authority)/\(encode(database ?? ""))"
        if !query.isEmpty { url += "?" + query.joined(separator: "&") }
        return url
    }

    public var description: String { redacted }

    /// The keyword/value string handed to libpq (password included; never log it).
    var connectionString: String {
        options.map { keyword, value in
            let escaped = value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'")
            return "\(keyword)='\(escaped)'"
        }.joined(separator: " ")
    }

    /// Best-effort removal of a password from a string libpq could not parse: the
    /// `user:password@` part of a URL and `password=` keywords or query parameters.
    /// It errs towards hiding too much; the string is only shown in an error.
    static func scrub(_ text: String) -> String {
        text.replacingOccurrences(of: #"(://[^:/@?#]*:)[^@]*@"#, with: "$1***@", options: .regularExpression)
            .replacingOccurrences(
                of: #"(password\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s&]*)"#, with: "$1***",
                options: [.regularExpression, .caseInsensitive])
    }

    public static func == (a: PostgresURL, b: PostgresURL) -> Bool {
        a.options.elementsEqual(b.options) { $0.keyword == $1.keyword && $0.value == $1.value }
    }

    public func hash(into hasher: inout Hasher) {
        for (keyword, value) in options {
            hasher.combine(keyword)
            hasher.combine(value)
        }
    }
}

extension PostgresURL {
    /// `text` with any occurrence of this URL's password replaced by `***`. libpq's
    /// messages do not quote passwords, so this is a second line of defence; very
    /// short passwords are left alone because replacing them would garble the text.
    func scrubPassword(_ text: String) -> String {
        guard let password = options.first(where: { $0.keyword == "password" })?.value, password.count >= 4 else {
            return text
        }
        return text.replacingOccurrences(of: password, with: "***")
    }
}
