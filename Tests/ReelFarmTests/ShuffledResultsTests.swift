import Foundation
import ReelCoordinator
import ReelFarm
import ReelStore
import ReelWire
import ReelWorker
import Testing

/// Results that arrive twice and out of order, as a resend after a reconnect or a
/// confused network delivers them: a ZeroMQ man in the middle does it to every
/// result of one worker. Each copy after the first is rejected as stale and costs
/// the worker nothing; the job ends with the undisturbed latents.
@Suite(.serialized, .farmSlot) struct ShuffledResultsTests {
    /// At 128×128 with the tiny model, and at 832×480 with the simulated-time
    /// stand-in model (real tensor sizes, no compute; see ``RealSizeFaultTests``).
    @Test(arguments: ["128x128 tiny", "832x480 simulated"])
    func duplicatedAndReorderedResultsAreRejectedAsStaleAtNoCost(size: String) async throws {
        let real = size.hasPrefix("832")
        let request = real ? RealSizeFaultTests.request : FaultInjectionTests.request()
        let expected = try await real ? RealSizeFaultTests.reference.sha() : FaultInjectionTests.reference.sha(request)
        // At 832×480 the worker, the proxy and the coordinator share this process and
        // 8 MB results, and on a loaded CI machine (the whole suite's farms on 2 cores)
        // that process once went quiet long enough under the production heartbeat
        // timeout (5 s) that a shard was leased twice. This test is about duplicated
        // results, not starvation (RealSizeFaultTests cuts workers off on purpose), so
        // it allows 15 s.
        let timeout: Duration = real ? .seconds(15) : .seconds(2)
        let farm = try TestFarm { $0.config.heartbeatTimeout = timeout }
        defer { farm.stop() }
        let proxy = try ResultShufflingProxy(coordinator: farm.service.endpoint)
        defer { proxy.stop() }
        // Two slots: two shards finish together, so one result can overtake the other.
        let executor: (any ShardExecutor)? = real ? SimulatedExecutor(stepTime: .milliseconds(RealSizeFaultTests.stepMs)) : nil
        try farm.addWorker(name: "shuffled", executor: executor, slots: 2, coordinator: proxy.endpoint, heartbeatTimeout: timeout)
        let status = try await farm.run(request)
        #expect(status.state == "succeeded", "\(status.reason ?? "")")
        #expect(status.latentsSha256 == expected)
        #expect(status.progress == 1 && status.shards["done"] == status.shardTotal)

        // The last copies go out after the worker's next message (a heartbeat within a second).
        try await farm.waitUntil(timeout: .seconds(10)) {
            let counts = proxy.counts
            let rejected = try await farm.service.health().rejectedMessages
            return counts.owed == 0 && rejected >= counts.duplicated
        }
        let counts = proxy.counts
        // Not vacuous: every result was sent twice, and some went ahead of an earlier one.
        #expect(counts.results == status.shardTotal && counts.duplicated == counts.results, "\(counts)")
        #expect(counts.reordered > 0, "no result overtook another: \(counts)")
        // Every copy rejected, and nothing else.
        #expect(try await farm.service.health().rejectedMessages == counts.duplicated)

        // No cost to the worker: each shard leased once, each result counted once,
        // no failure recorded against it, still active.
        let store = try FarmResilienceTests.store(farm.service)
        let shards = try store.shards(job: status.id)
        #expect(shards.count == status.shardTotal && shards.allSatisfy { $0.status.tries == 1 }, "\(shards.map(\.status.tries))")
        #expect(try store.blocklisted(job: status.id, threshold: 1).isEmpty)
        let events = try store.events(job: status.id, limit: 1000)
        let retries = events.filter { $0.kind.rawValue.hasSuffix(".retry") || $0.kind.rawValue.hasSuffix(".failed") }
        let workerEvents = try store.events(limit: 1000).filter { $0.job == nil }
        #expect(retries.isEmpty, "\(retries.map { "\($0.kind) \($0.detail ?? "")" }); the farm's: \(workerEvents.map { "\($0.kind) \($0.worker ?? "") \($0.detail ?? "")" })")
        #expect(events.contains { $0.kind.rawValue == "rejected" && ($0.detail ?? "").contains("stale result") })
        let worker = try #require(try await farm.workerStatuses().first { $0.name == "shuffled" })
        #expect(worker.state == "active" && worker.running.isEmpty)
        #expect(worker.shardsDone == status.shardTotal)
    }
}

/// A ZeroMQ man in the middle for one worker: a ROUTER the worker connects to, and
/// a DEALER to the coordinator presenting the worker's own routing id, so the
/// coordinator sees the worker's identity. Everything is forwarded both ways, but
/// from the worker, each `shardResult` is sent a second time after the worker's
/// next message, and a result is held back until the worker's next result (which
/// then goes first) or for `holdLimit`. Other messages are never held; a held
/// result's item is missing from the heartbeats that pass it, for less than the
/// heartbeat timeout, as when a network delays one message.
final class ResultShufflingProxy: @unchecked Sendable {
    struct Counts: Sendable, CustomStringConvertible {
        /// Results the worker sent.
        var results = 0
        /// Second copies sent.
        var duplicated = 0
        /// Results sent ahead of an earlier one.
        var reordered = 0
        /// Copies not sent yet.
        var owed = 0

        var description: String { "\(results) results, \(duplicated) duplicated, \(reordered) reordered, \(owed) owed" }
    }

    private(set) var endpoint = ""
    private let lock = NSLock()
    private var current = Counts()
    private var failure: String?
    private let stopping = StopFlag()
    private let ended = DispatchSemaphore(value: 0)

    /// A result is held at most this long when the worker sends nothing more.
    let holdLimit: Duration

    init(coordinator: String, holdLimit: Duration = .seconds(1)) throws {
        self.holdLimit = holdLimit
        let context = try ZMQContext()
        let bound = DispatchSemaphore(value: 0)
        // The sockets belong to the proxy's thread: made there and used only there.
        Thread.detachNewThread { [self] in
            defer { ended.signal() }
            do {
                let router = try RouterSocket(context: context)
                let address = try router.bind("tcp://127.0.0.1:*")
                lock.withLock { endpoint = address }
                bound.signal()
                try forward(router: router, context: context, coordinator: coordinator)
            } catch {
                lock.withLock { failure = "\(error)" }
                bound.signal()
            }
        }
        bound.wait()
        if let failure = lock.withLock({ failure }) { throw APIError.unavailable("the proxy did not start: \(failure)") }
    }

    var counts: Counts { lock.withLock { current } }

    func stop() {
        stopping.set()
        ended.wait()
    }

    private func forward(router: RouterSocket, context: ZMQContext, coordinator: String) throws {
        var dealer: DealerSocket?
        var worker: PeerID?
        var held: (frames: [Data], since: ContinuousClock.Instant)?
        var copies: [[Data]] = []

        func send(_ messages: [[Data]], late: [[Data]]) throws {
            for frames in messages + late { try dealer?.send(frames) }
            lock.withLock {
                current.duplicated += late.count
                current.owed = copies.count + (held == nil ? 0 : 1)
            }
        }

        while !stopping.isSet {
            let sockets = [router.socket] + (dealer.map { [$0.socket] } ?? [])
            let ready = try ZMQPoller.poll(sockets, timeout: .milliseconds(20))
            if ready.contains(0) {
                while let (peer, frames) = try router.receive(timeout: .zero) {
                    if dealer == nil {
                        // The worker's hello: only now is its routing id known.
                        let socket = try DealerSocket(context: context)
                        try socket.set(.routingID(peer.bytes))
                        try socket.connect(coordinator)
                        dealer = socket
                        worker = peer
                    }
                    // Copies owed since the worker's previous message go after this one.
                    let late = copies
                    copies = []
                    var out: [[Data]] = []
                    if case .shardResult? = (try? WireCodec.decodeEnvelope(frames))?.body {
                        lock.withLock { current.results += 1 }
                        if let earlier = held {
                            held = nil
                            out = [frames, earlier.frames]
                            lock.withLock { current.reordered += 1 }
                        } else {
                            held = (frames, .now)
                        }
                        copies = out
                    } else {
                        // Offers and heartbeats pass a held result: a worker's next
                        // result is pulled only after its offer reaches the coordinator.
                        out.append(frames)
                    }
                    try send(out, late: late)
                }
            }
            if ready.contains(1), let dealer, let worker {
                // A worker that has gone just misses what was meant for it, as on a network.
                while let frames = try dealer.receive(timeout: .zero) { try? router.send(to: worker, frames: frames) }
            }
            if let earlier = held, ContinuousClock.now - earlier.since > holdLimit {
                held = nil
                copies.append(earlier.frames)
                try send([earlier.frames], late: [])
            }
        }
    }
}
