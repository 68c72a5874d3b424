import ArgumentParser
import Foundation
import ReelCoordinator
import ReelWire
import ReelWorker

/// The coordinator's CURVE flags: its key pair and the workers it accepts.
struct CoordinatorCurveOptions: ParsableArguments {
    @Option(help: "The coordinator's key pair file (NAME.key from `reel keys generate`); turns on CURVE for workers.")
    var curveKey: String?

    @Option(help: "Worker public keys allowed to connect: a file of .pub lines or a directory of .pub files, re-read every --allow-list-reload-seconds and at once on SIGHUP (edit it to add or revoke workers).")
    var allowedWorkers: String?

    @Option(help: "Seconds between re-reads of --allowed-workers (SIGHUP re-reads it at once).")
    var allowListReloadSeconds = 1.0

    @Flag(help: "Let workers connect without CURVE on an address other machines can reach (only on a network you trust).")
    var insecurePlaintext = false

    /// Checks the flags fit together and with `listen`.
    func check(listen: String) throws {
        guard (curveKey == nil) == (allowedWorkers == nil) else {
            throw ValidationError("--curve-key and --allowed-workers go together: the key pair says who the coordinator is, the allow-list which workers may join")
        }
        if curveKey != nil && insecurePlaintext {
            throw ValidationError("--insecure-plaintext and --curve-key contradict each other; drop one")
        }
        guard (0.01 ... 86_400).contains(allowListReloadSeconds) else {
            throw ValidationError("--allow-list-reload-seconds must be 0.01…86400 (send SIGHUP to re-read the list at once), got \(allowListReloadSeconds)")
        }
        if curveKey == nil && !insecurePlaintext && !WireEndpoint.isLoopback(listen) {
            throw ValidationError(
                PlaintextRefused(endpoint: listen, keysHint: "make keys with `reel keys generate` and pass --curve-key and --allowed-workers").description)
        }
    }

    /// The CURVE settings, reading the key pair file.
    func settings() throws -> CoordinatorCurve? {
        guard let curveKey, let allowedWorkers else { return nil }
        do {
            return CoordinatorCurve(
                keyPair: try CurveKeyPair.read(from: curveKey), allowList: allowedWorkers,
                reloadInterval: .milliseconds(Int64(allowListReloadSeconds * 1000)), reloadOnHangup: true)
        } catch {
            throw ValidationError(error.description)
        }
    }
}

/// A worker's CURVE flags.
struct WorkerCurveOptions: ParsableArguments {
    @Option(help: "The coordinator's public key file (its .pub); turns on CURVE.")
    var coordinatorKey: String?

    @Option(help: "This worker's key pair file (NAME.key from `reel keys generate`); its .pub must be on the coordinator's allow-list.")
    var key: String?

    @Flag(help: "Connect without CURVE to a coordinator on another machine (only on a network you trust).")
    var insecurePlaintext = false

    func check(coordinator: String) throws {
        guard (coordinatorKey == nil) == (key == nil) else {
            throw ValidationError("--coordinator-key and --key go together: the coordinator's public key and this worker's key pair")
        }
        if key != nil && insecurePlaintext {
            throw ValidationError("--insecure-plaintext and --key contradict each other; drop one")
        }
        if key == nil && !insecurePlaintext && !WireEndpoint.isLoopback(coordinator) {
            throw ValidationError(
                PlaintextRefused(endpoint: coordinator, keysHint: "pass --coordinator-key (the coordinator's .pub) and --key (this worker's .key)").description)
        }
    }

    func settings() throws -> WorkerCurve? {
        guard let coordinatorKey, let key else { return nil }
        do {
            return WorkerCurve(coordinatorKey: try CurvePublicKey.read(from: coordinatorKey), keyPair: try CurveKeyPair.read(from: key))
        } catch {
            throw ValidationError(error.description)
        }
    }
}

/// The API's TLS flags: the operator's certificate chain and key.
struct APITLSOptions: ParsableArguments {
    @Option(help: "PEM certificate chain for the HTTP API (with --tls-key): serve https.")
    var tlsCert: String?

    @Option(help: "PEM private key for --tls-cert (0600).")
    var tlsKey: String?

    func validate() throws {
        guard (tlsCert == nil) == (tlsKey == nil) else {
            throw ValidationError("--tls-cert and --tls-key go together: the certificate chain and its private key")
        }
        if let settings {
            do { _ = try settings.configuration() } catch { throw ValidationError(error.description) }
        }
    }

    var settings: APITLS? {
        guard let tlsCert, let tlsKey else { return nil }
        return APITLS(certificatePath: tlsCert, keyPath: tlsKey)
    }
}
