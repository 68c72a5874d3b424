import ArgumentParser
import Foundation
import ReelCoordinator

/// Where the CLI finds a coordinator's HTTP API.
struct CoordinatorAddress: ParsableArguments {
    @Option(name: .customLong("coordinator"), help: "The coordinator's HTTP API (as `reel up` or `reel coordinator --http` prints it).")
    var url: String = "http://127.0.0.1:8787"

    func validate() throws {
        guard let parsed = URL(string: url), parsed.scheme == "http" || parsed.scheme == "https", parsed.host != nil else {
            throw ValidationError("--coordinator '\(url)' is not an http://HOST:PORT address (the default is http://127.0.0.1:8787)")
        }
    }

    var client: CoordinatorClient { CoordinatorClient(baseURL: URL(string: url)!) }
}

/// What a coordinator process needs: database, data directory, the addresses it serves.
struct CoordinatorServerOptions: ParsableArguments {
    @Option(help: "PostgreSQL URL (postgres://…); default: a private cluster under --data, started and stopped with reel.")
    var db: String?

    @Option(help: "Data directory: the embedded database, shard outputs, prompt embeddings and videos.")
    var data: String = ".reel/farm"

    @Option(help: "HTTP API address ADDR:PORT for the CLI.")
    var http: String = "127.0.0.1:8787"

    @Option(help: "ZeroMQ endpoint workers connect to (tcp://ADDR:PORT).")
    var listen: String = "tcp://127.0.0.1:5555"

    func validate() throws {
        _ = try httpAddress()
        guard listen.hasPrefix("tcp://") || listen.hasPrefix("ipc://") || listen.hasPrefix("inproc://") else {
            throw ValidationError("--listen '\(listen)' is not a ZeroMQ endpoint like tcp://0.0.0.0:5555")
        }
        if let db, !(db.hasPrefix("postgres://") || db.hasPrefix("postgresql://")) {
            throw ValidationError("--db must be a postgres:// URL; leave it out to use the embedded PostgreSQL")
        }
    }

    func httpAddress() throws -> (host: String, port: Int) {
        guard let colon = http.lastIndex(of: ":"), let port = Int(http[http.index(after: colon)...]), (0 ... 65535).contains(port) else {
            throw ValidationError("--http '\(http)' is not ADDR:PORT, e.g. 127.0.0.1:8787")
        }
        return (String(http[..<colon]), port)
    }
}
