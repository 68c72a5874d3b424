import Foundation
import Logging
import ReelPlan
import ReelWire
import Synchronization

/// SIGHUPs this process received, counted by the signal handler (an atomic add is
/// async-signal-safe); each ``WorkerAuthority`` that reloads on SIGHUP compares it
/// with the count it last saw.
private let hangupsReceived = Atomic<Int>(0)
private let hangupHandlerInstalled = Mutex(false)

/// Who may connect as a worker, for the ZAP handler (on its own thread) and the
/// coordinator's loop: the current ``WorkerAllowList``, re-read from its path
/// every `reloadInterval` on a timer of its own, so workers are added and
/// revoked while the farm runs by editing the file (or the directory of `.pub`
/// files), and at once on SIGHUP when asked to (``reloadOnHangup()``). A file
/// that cannot be read keeps the last good list (and says so), rather than
/// admitting everyone or locking everyone out.
public final class WorkerAuthority: @unchecked Sendable {
    /// The allow-list's file or directory.
    public let path: String
    private let logger: Logger
    private let lock = NSLock()
    private var list: WorkerAllowList
    private var generationValue = 0
    private var rejections = RateLimitedLog(perInterval: 20, interval: .seconds(10))
    private var timer: DispatchSourceTimer?
    private var hangup: DispatchSourceTimer?
    /// The SIGHUP count last acted on (read and written on `queue` only).
    private var hangupsSeen = 0
    private let queue = DispatchQueue(label: "reel-allow-list")

    /// Reads the list once (a missing or unreadable list is an error: the
    /// coordinator does not start without one) and starts re-reading it.
    public init(path: String, reloadInterval: Duration = .seconds(1), logger: Logger) throws(CurveKeyError) {
        self.path = path
        self.logger = logger
        list = try WorkerAllowList.read(from: path)
        report(list, change: "loaded")
        let timer = DispatchSource.makeTimerSource(queue: queue)
        let ms = max(10, Int(reloadInterval.milliseconds))
        timer.schedule(deadline: .now() + .milliseconds(ms), repeating: .milliseconds(ms))
        timer.setEventHandler { [weak self] in self?.reload(why: "periodic re-read") }
        timer.resume()
        self.timer = timer
    }

    deinit {
        timer?.cancel()
        hangup?.cancel()
    }

    /// Re-reads the list at once (within 0.1 s) whenever the process receives
    /// SIGHUP (the usual "reload your configuration" signal: `kill -HUP`,
    /// `systemctl reload`), besides the periodic re-read. SIGHUP no longer ends
    /// the process. A plain handler counts the signals and a 0.1 s timer looks at
    /// the count: a dispatch signal source does not see a signal on Linux unless
    /// every thread blocks it.
    public func reloadOnHangup() {
        guard hangup == nil else { return }
        hangupHandlerInstalled.withLock { installed in
            guard !installed else { return }
            signal(SIGHUP) { _ in hangupsReceived.add(1, ordering: .relaxed) }
            installed = true
        }
        hangupsSeen = hangupsReceived.load(ordering: .relaxed)
        let timer = DispatchSource.makeTimerSource(queue: queue)
        timer.schedule(deadline: .now() + .milliseconds(100), repeating: .milliseconds(100))
        timer.setEventHandler { [weak self] in
            guard let self else { return }
            let now = hangupsReceived.load(ordering: .relaxed)
            guard now != hangupsSeen else { return }
            hangupsSeen = now
            reload(why: "SIGHUP")
        }
        timer.resume()
        hangup = timer
    }

    /// Stops re-reading the list.
    public func stop() {
        timer?.cancel()
        timer = nil
        hangup?.cancel()
        hangup = nil
    }

    /// Bumped on every change to the list: the loop compares it to drop revoked workers.
    public var generation: Int { lock.withLock { generationValue } }

    /// Whether a connection with ZAP user id `userID` (the key in Z85) is allowed now.
    public func allows(userID: String?) -> Bool {
        guard let userID, let key = try? CurvePublicKey(z85: userID) else { return false }
        return lock.withLock { list.keys[key] != nil }
    }

    /// The name the allow-list gives `userID`'s key, for logs.
    public func name(of userID: String) -> String? {
        guard let key = try? CurvePublicKey(z85: userID) else { return nil }
        return lock.withLock { list.keys[key] }
    }

    /// The ZAP decision: CURVE connections whose key is on the list; nothing else.
    public func decide(_ request: ZAPHandler.Request) -> ZAPHandler.Decision {
        guard request.mechanism == "CURVE", let key = request.publicKey else {
            note(rejection: "mechanism \(request.mechanism) from \(request.address)")
            return .deny(reason: "CURVE required")
        }
        if lock.withLock({ list.keys[key] }) != nil { return .allow(userID: key.z85) }
        note(rejection: "key \(key.z85) from \(request.address) is not in \(path)")
        return .deny(reason: "worker key not allowed")
    }

    /// Re-reads the list now; returns whether it changed.
    @discardableResult
    public func reload(why: String = "asked") -> Bool {
        let fresh: WorkerAllowList
        do {
            fresh = try WorkerAllowList.read(from: path)
        } catch {
            logger.error("cannot re-read the worker allow-list; keeping the last one", metadata: ["error": "\(error)"])
            return false
        }
        let changed: Bool = lock.withLock {
            guard fresh != list else { return false }
            list = fresh
            generationValue += 1
            return true
        }
        if changed {
            report(fresh, change: "reloaded", why: why)
        } else if why == "SIGHUP" {
            logger.info("worker allow-list re-read on SIGHUP; unchanged", metadata: ["path": "\(path)", "keys": "\(fresh.keys.count)"])
        }
        return changed
    }

    private func report(_ list: WorkerAllowList, change: String, why: String? = nil) {
        var metadata: Logger.Metadata = ["path": "\(path)", "keys": "\(list.keys.count)"]
        if let why { metadata["why"] = "\(why)" }
        logger.info("worker allow-list \(change)", metadata: metadata)
        for problem in list.problems { logger.warning("worker allow-list line skipped", metadata: ["where": "\(problem)"]) }
    }

    private func note(rejection: String) {
        let suppressed: Int? = lock.withLock { rejections.admit(now: .now) }
        guard let suppressed else { return }
        var metadata: Logger.Metadata = ["reason": "\(rejection)"]
        if suppressed > 0 { metadata["suppressed"] = "\(suppressed)" }
        logger.warning("worker connection rejected", metadata: metadata)
    }
}
