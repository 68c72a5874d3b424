import Foundation
import Logging
import ReelCoordinator
import ReelPlan
import ReelStore

/// A coordinator process: its PostgreSQL (a private cluster under the data
/// directory unless a URL is given), migrations, the event loop on its own
/// thread, and the HTTP API. `reel coordinator` runs one; `reel up` adds workers.
public final class CoordinatorService: @unchecked Sendable {
    public struct Options: Sendable {
        /// `postgres://…`, or nil for the embedded cluster.
        public var database: String?
        public var dataDirectory: String
        public var httpHost: String
        public var httpPort: Int
        public var config: CoordinatorConfig
        /// TLS for the HTTP API; `nil` serves plain HTTP.
        public var tls: APITLS?

        public init(
            database: String? = nil, dataDirectory: String, httpHost: String = "127.0.0.1", httpPort: Int = 8787,
            listen: String = "tcp://127.0.0.1:5555", crf: Double = 18
        ) {
            self.database = database
            self.dataDirectory = dataDirectory
            self.httpHost = httpHost
            self.httpPort = httpPort
            self.config = CoordinatorConfig(listen: listen, dataDirectory: dataDirectory)
            self.config.crf = crf
        }
    }

    public let options: Options
    let logger: Logger
    public let mailbox = CoordinatorMailbox()
    private let stopFlag = StopFlag()
    /// Held from the start of ``start()`` to the end of ``stop()``.
    private var directoryLock: DataDirectoryLock?
    /// The coordinator's connection, which holds the ``CoordinatorLock``.
    private var connection: PostgresConnection?
    private var embedded: EmbeddedPostgres?
    private var loopThread: Thread?
    private let loopDone = DispatchSemaphore(value: 0)
    /// Signalled when the database supervisor has ended (it must not start the
    /// server again while `stop()` stops it).
    private let supervisorDone = DispatchSemaphore(value: 0)
    private var supervising = false
    /// The ROUTER endpoint, once bound.
    public private(set) var endpoint = ""
    private var coordinator: UncheckedBox<Coordinator>?
    /// The API's bearer tokens, on a connection of their own (CoordinatorService+Tokens.swift).
    var tokens: APITokens?
    /// The runtime file the admin token was put in while serving, removed on stop.
    var localTokenFile: String?
    /// The blob store, once started: uploaded sources go there.
    private var blobs: BlobStore?

    /// The loop's health and throughput (longest gap between turns, busy time,
    /// shards completed, bytes moved); read after ``stop()``.
    public var loopStatistics: LoopStatistics {
        guard let coordinator, loopThread == nil else { return LoopStatistics() }
        return coordinator.value.statistics
    }

    let videoJoiner: VideoJoiner

    /// `videoJoiner` defaults to joining H.264 segments into an MP4 through libav.
    public init(options: Options, logger: Logger, videoJoiner: VideoJoiner? = nil) {
        self.options = options
        self.logger = logger
        self.videoJoiner = videoJoiner ?? mediaVideoJoiner
    }

    /// Submits through the mailbox (in-process callers: the demo, the benchmark).
    public func submit(_ request: FarmAPI.SubmitRequest) async throws -> Int64 {
        guard case .submitted(let id) = try await mailbox.send(.submit(request)).get() else { throw APIError.internalError("unexpected reply") }
        return id
    }

    /// One job's status through the mailbox.
    public func status(_ id: Int64) async throws -> FarmAPI.JobStatus {
        guard case .job(let status) = try await mailbox.send(.job(id)).get() else { throw APIError.internalError("unexpected reply") }
        return status
    }

    /// The loop's health through the mailbox.
    public func health() async throws -> FarmAPI.Health {
        guard case .health(let health) = try await mailbox.send(.health).get() else { throw APIError.internalError("unexpected reply") }
        return health
    }

    /// The stored video's path through the mailbox (what `GET /v1/jobs/ID/video` sends).
    public func videoPath(_ id: Int64) async throws -> String {
        guard case .video(let path) = try await mailbox.send(.video(id)).get() else { throw APIError.internalError("unexpected reply") }
        return path
    }

    /// Retries a failed job through the mailbox.
    public func retry(_ id: Int64) async throws -> FarmAPI.JobStatus {
        guard case .job(let status) = try await mailbox.send(.retry(id)).get() else { throw APIError.internalError("unexpected reply") }
        return status
    }

    /// Returns once `count` workers are active, or throws after `timeout`.
    public func waitForWorkers(_ count: Int, timeout: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if case .workers(let workers) = try await mailbox.send(.workers).get(),
                workers.filter({ $0.state == "active" }).count >= count
            {
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw APIError.unavailable("only some of \(count) workers registered within \(timeout); see the worker logs")
    }

    /// Starts the database and the event loop; returns once the loop is listening.
    ///
    /// Refuses, having started and stopped nothing, when another coordinator runs
    /// on the same data directory (``StoreError/dataDirectoryInUse(directory:pid:)``)
    /// or dispatches from the same database (``StoreError/databaseInUse(url:holder:)``).
    public func start() throws {
        try options.config.checkWorkerSecurity()
        MemoryPolicy.returnLargeBuffersToTheSystem()
        let data = URL(fileURLWithPath: options.dataDirectory)
        // Before the database is touched: a second coordinator here must not adopt,
        // and later stop, the first one's PostgreSQL.
        let lock = try DataDirectoryLock(directory: data)
        directoryLock = lock
        do {
            try startHoldingTheLock(lock, data: data)
        } catch {
            // Undo this start only: the database first, the lock last, so nobody
            // adopts a server that is being stopped.
            connection?.close()
            connection = nil
            if let embedded { try? embedded.stop() }
            embedded = nil
            lock.release()
            directoryLock = nil
            throw error
        }
    }

    private func startHoldingTheLock(_ lock: DataDirectoryLock, data: URL) throws {
        let url: PostgresURL
        if let database = options.database {
            url = try PostgresURL(database)
            logger.info("using PostgreSQL", metadata: ["url": "\(url.redacted)"])
        } else {
            let cluster = try EmbeddedPostgres(dataDirectory: data.appendingPathComponent("postgres"))
            embedded = cluster
            // A server still running on the cluster was started by a coordinator that
            // held this lock and is gone: it is ours to stop now.
            url = try cluster.start(owner: lock)
            logger.info("started the embedded PostgreSQL", metadata: ["cluster": "\(cluster.clusterDirectory.path)"])
            prioritise(cluster)
        }
        let guarded = url.withFaultTimeouts()
        let connection = try PostgresConnection(url: guarded)
        self.connection = connection
        // Also for a shared --db: one coordinator dispatches from a database.
        try CoordinatorLock.hold(
            on: connection, name: "reel coordinator pid \(getpid()) on \(ProcessInfo.processInfo.hostName)")
        let applied = try Migrator().migrate(connection)
        if !applied.isEmpty { logger.info("applied migrations", metadata: ["versions": "\(applied)"]) }
        let blobs = try BlobStore(directory: data.appendingPathComponent("blobs"))
        self.blobs = blobs
        // Results commit on a connection of their own, off the event loop.
        let records = try PostgresConnection(url: guarded)
        // And the API's reads and heartbeat stamps on a third, so a slow answer from
        // PostgreSQL (a busy machine) never holds up the loop.
        let queries = try PostgresConnection(url: guarded)
        // And the loop's frequent statements (claims, lease extensions) on a fourth,
        // answered on a later turn, so the loop never waits on a round trip for them.
        let statements = try PostgresConnection(url: guarded)
        try startTokens(url: guarded, data: data)
        let coordinator = try Coordinator(
            config: options.config, store: FarmStore(connection: connection), recordStore: FarmStore(connection: records),
            queryStore: FarmStore(connection: queries), statementStore: FarmStore(connection: statements),
            blobs: blobs, mailbox: mailbox, videoJoiner: videoJoiner, logger: logger)
        coordinator.segmentInspector = mediaSegmentInspector
        coordinator.segmentPreviewer = mediaSegmentPreviewer
        endpoint = coordinator.endpoint
        let stop = stopFlag
        let done = loopDone
        let box = UncheckedBox(coordinator)
        self.coordinator = box
        let thread = Thread {
            CPUTime.nameCurrentThread("reel-loop")
            box.value.run { stop.isSet }
            done.signal()
        }
        thread.name = "reel-coordinator"
        thread.stackSize = 8 << 20
        thread.start()
        loopThread = thread
        if let embedded { superviseDatabase(embedded, lock: lock) }
    }

    /// The embedded PostgreSQL runs at the loop's priority where the system allows
    /// it (``CoordinatorConfig/loopNice``), since the loop waits on its statements.
    private func prioritise(_ cluster: EmbeddedPostgres) {
        let nice = options.config.loopNice
        guard nice < 0 else { return }
        if cluster.raisePriority(to: nice) == 0 {
            logger.info("the embedded PostgreSQL runs at the default priority: raising it needs root or CAP_SYS_NICE")
        }
    }

    /// The embedded PostgreSQL is this coordinator's to keep alive: checked every
    /// 2 s and started again if it died (killed, crashed). Meanwhile the coordinator
    /// keeps its workers and their results (`/v1/health` says the database is
    /// unreachable); its connections reconnect on their next statement.
    private func superviseDatabase(_ cluster: EmbeddedPostgres, lock: DataDirectoryLock) {
        let stop = stopFlag, logger = logger, done = supervisorDone
        let box = UncheckedBox(cluster)
        supervising = true
        let thread = Thread {
            defer { done.signal() }
            while !stop.isSet {
                for _ in 0 ..< 20 where !stop.isSet { Thread.sleep(forTimeInterval: 0.1) }
                do {
                    guard !stop.isSet, try !box.value.isRunning(), !stop.isSet else { continue }
                    logger.error("the embedded PostgreSQL is not running; starting it again")
                    _ = try box.value.start(owner: lock)
                    logger.info("the embedded PostgreSQL is running again")
                    self.prioritise(box.value)
                } catch {
                    logger.error("cannot restart the embedded PostgreSQL", metadata: ["error": "\(error)"])
                }
            }
        }
        thread.name = "reel-database-supervisor"
        thread.start()
    }

    /// Serves the HTTP API until SIGINT/SIGTERM or ``stop()``. The loop keeps
    /// running after a signal, so a local farm can stop its workers first while
    /// the coordinator still takes their hand-backs; the caller then calls ``stop()``.
    public func serve(onListening: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let sources = blobs.map { SourceUploads(blobs: $0, maxBytes: options.config.maxSourceBytes) }
        let server = CoordinatorHTTPServer(
            mailbox: mailbox, host: options.httpHost, port: options.httpPort, tokens: tokens, tls: options.tls, sources: sources)
        let flag = stopFlag
        try await server.run(logger: logger, until: { flag.isSet }, onListening: { [self] port in
            advertiseLocalToken(port: port)
            await onListening(port)
        })
    }

    /// Stops the loop and the embedded database (idempotent), then lets the data
    /// directory and the database go to the next coordinator.
    public func stop() {
        guard !stopFlag.isSet else { return }
        stopFlag.set()
        if loopThread != nil { loopDone.wait() }
        loopThread = nil
        if supervising {
            supervisorDone.wait()
            supervising = false
        }
        // The loop is done with the connection; closing it ends the session and so
        // its coordinator lock (the coordinator object lives on for its statistics).
        connection?.close()
        connection = nil
        stopTokens()
        if let embedded {
            do { try embedded.stop() } catch { logger.error("cannot stop PostgreSQL", metadata: ["error": "\(error)"]) }
            self.embedded = nil
        }
        directoryLock?.release()
        directoryLock = nil
    }
}

/// Moves a non-Sendable value to the one thread that will own it.
struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
