import ArgumentParser
import Foundation
import ReelCoordinator
import ReelFarm
import ReelPlan

/// Where the CLI finds a coordinator's HTTP API.
struct CoordinatorAddress: ParsableArguments {
    @Option(name: .customLong("coordinator"), help: "The coordinator's HTTP API (as `reel up` or `reel coordinator --http` prints it).")
    var url: String = "http://127.0.0.1:8787"

    @Option(
        name: .customLong("ca-cert"),
        help: ArgumentHelp(
            "PEM file of the private CA that signed an https:// coordinator's certificate (default: $REEL_CA_CERT).",
            discussion: "Replaces the system's trust store for calls to the coordinator: only this CA is trusted.",
            valueName: "file"))
    var caCert: String?

    func validate() throws {
        guard let parsed = URL(string: url), parsed.scheme == "http" || parsed.scheme == "https", parsed.host != nil else {
            throw ValidationError("--coordinator '\(url)' is not an http://HOST:PORT address (the default is http://127.0.0.1:8787)")
        }
        do { _ = try PrivateCA.named(option: caCert) } catch { throw ValidationError("--ca-cert/REEL_CA_CERT: \(error)") }
    }

    /// Validated in ``validate()``, so loading it again cannot fail but for a file changed in between.
    var client: CoordinatorClient { CoordinatorClient(baseURL: URL(string: url)!, privateCA: try? PrivateCA.named(option: caCert)) }
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

    @Flag(help: "Keep intermediate blobs (shard outputs, segments) instead of deleting them once read, to inspect a job.")
    var keepIntermediates = false

    @Option(help: "Delete a finished job's embeddings, latents and video this many days after it finished (its record stays and says so); default: keep them.")
    var keepResultsDays: Int?

    @Option(help: "Delete farm events older than this many days.")
    var keepEventsDays = 30

    @OptionGroup(title: "Worker authentication (CURVE)")
    var curve: CoordinatorCurveOptions

    @OptionGroup(title: "API over TLS")
    var tls: APITLSOptions

    @Option(help: "Share of done shards re-run on a second worker to check them (0 turns checks off; the README's \"Verified results\" gives cost and detection rates).")
    var verifyFraction = VerificationPolicy.defaultFraction

    @OptionGroup(title: "Admission limits (a bigger job is refused with a 400 that names the flag)")
    var limits: AdmissionOptions

    @Option(help: "Largest conditioning source (image or video) PUT /v1/sources takes, in bytes.")
    var maxSourceBytes = SourceUploads.defaultMaxBytes

    @Option(help: ArgumentHelp(
        "Seconds a lease on a shard, decode chunk or encoding lasts without its worker's heartbeat (heartbeats renew it); a coordinator that restarts waits this long for the leases it lost.",
        valueName: "SECONDS"))
    var leaseSeconds = 60

    func validate() throws {
        _ = try httpAddress()
        if let days = keepResultsDays, !(1 ... 36_500).contains(days) {
            throw ValidationError("--keep-results-days must be 1…36500 (leave it out to keep results for good), got \(days)")
        }
        guard (0 ... 1).contains(verifyFraction) else {
            throw ValidationError("--verify-fraction must be 0…1 (0.05 re-runs one shard in twenty; 0 turns checks off), got \(verifyFraction)")
        }
        // Heartbeats come every second and a worker counts as lost after 5 s of
        // silence: a lease must outlast a few of them.
        guard (10 ... 3600).contains(leaseSeconds) else { throw ValidationError("--lease-seconds must be 10…3600, got \(leaseSeconds)") }
        guard maxSourceBytes >= 1 else { throw ValidationError("--max-source-bytes must be at least 1, got \(maxSourceBytes)") }
        guard (1 ... 36_500).contains(keepEventsDays) else { throw ValidationError("--keep-events-days must be 1…36500, got \(keepEventsDays)") }
        guard listen.hasPrefix("tcp://") || listen.hasPrefix("ipc://") || listen.hasPrefix("inproc://") else {
            throw ValidationError("--listen '\(listen)' is not a ZeroMQ endpoint like tcp://0.0.0.0:5555")
        }
        try curve.check(listen: listen)
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

    /// The coordinator service these options describe.
    func serviceOptions() throws -> CoordinatorService.Options {
        let (host, port) = try httpAddress()
        var options = CoordinatorService.Options(database: db, dataDirectory: data, httpHost: host, httpPort: port, listen: listen)
        options.config.dataDirectory = data
        options.config.admission = limits.admission
        options.config.maxSourceBytes = maxSourceBytes
        options.config.policy.leaseDuration = .seconds(leaseSeconds)
        options.config.collectBlobs = !keepIntermediates
        options.config.resultRetentionDays = keepResultsDays
        options.config.eventRetentionDays = keepEventsDays
        options.config.curve = try curve.settings()
        options.config.insecurePlaintext = curve.insecurePlaintext
        options.tls = tls.settings
        options.config.verification = VerificationPolicy(fraction: verifyFraction)
        options.config.verification.testFaultFirstCheckedBlock = VerificationPolicy.testFaultFirstCheckedBlock(
            in: TestFaults(ProcessInfo.processInfo.environment[TestFaults.environmentKey]))
        return options
    }
}

/// The operator's ``AdmissionLimits``; every default is `AdmissionLimits.default`'s.
struct AdmissionOptions: ParsableArguments {
    @Option(help: "Most pixel frames per job.") var maxFrames = AdmissionLimits.default.maxFrames
    @Option(help: "Largest frame width or height.") var maxSide = AdmissionLimits.default.maxSide
    @Option(help: "Most pixels per frame.") var maxPixels = AdmissionLimits.default.maxPixels
    @Option(help: "Most pixels per clip (frames × width × height).") var maxClipPixels = AdmissionLimits.default.maxClipPixels
    @Option(help: "Most sampling steps.") var maxSteps = AdmissionLimits.default.maxSteps
    @Option(help: "Most spatial tiles per frame.") var maxTiles = AdmissionLimits.default.maxTiles
    @Option(help: "Most regions (windows × tiles).") var maxRegions = AdmissionLimits.default.maxRegions
    @Option(help: "Most shards (regions × step blocks).") var maxShards = AdmissionLimits.default.maxShards
    @Option(help: "Most characters in a prompt or negative prompt.") var maxPrompt = AdmissionLimits.default.maxPromptCharacters
    @Option(help: "Priorities allowed: -N…N.") var maxPriority = AdmissionLimits.default.maxPriority

    var admission: AdmissionLimits {
        AdmissionLimits(
            maxFrames: maxFrames, maxSide: maxSide, maxPixels: maxPixels, maxClipPixels: maxClipPixels, maxSteps: maxSteps,
            maxTiles: maxTiles, maxRegions: maxRegions, maxShards: maxShards, maxPromptCharacters: maxPrompt,
            maxPriority: maxPriority)
    }

    func validate() throws {
        let counts = [
            ("--max-frames", maxFrames), ("--max-side", maxSide), ("--max-pixels", maxPixels), ("--max-clip-pixels", maxClipPixels),
            ("--max-steps", maxSteps), ("--max-tiles", maxTiles), ("--max-regions", maxRegions), ("--max-shards", maxShards),
            ("--max-prompt", maxPrompt),
        ]
        for (flag, value) in counts where value < 1 { throw ValidationError("\(flag) must be at least 1, got \(value)") }
        guard maxPriority >= 0 else { throw ValidationError("--max-priority must be 0 or more, got \(maxPriority)") }
    }
}
