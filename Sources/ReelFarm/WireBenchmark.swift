import Foundation
import ReelPlan
import ReelWire

/// Shard transfer throughput over loopback TCP, plaintext against CurveZMQ, in
/// one run: a DEALER (the worker's side) sends shard-sized messages to a ROUTER
/// (the coordinator's), the real sockets and, for CURVE, the real ZAP handler.
/// Rounds alternate between the two so that drift in the machine's load falls
/// on both alike; each mode's figure is the median of its rounds.
public struct WireBenchmark: Sendable {
    /// One message's tensor frame: 8 MiB is a shard's latents at 832×480.
    public var frameBytes: Int
    /// Messages per round.
    public var messages: Int
    /// Rounds per mode.
    public var rounds: Int

    public init(frameBytes: Int = 8 << 20, messages: Int = 32, rounds: Int = 3) {
        self.frameBytes = frameBytes
        self.messages = messages
        self.rounds = rounds
    }

    public struct Report: Codable, Sendable {
        public var frameBytes: Int
        public var messages: Int
        public var rounds: Int
        /// Median MB/s (10^6 bytes) per mode.
        public var plaintextMBps: Double
        public var curveMBps: Double
        /// curve / plaintext.
        public var ratio: Double
    }

    public func run() throws -> Report {
        var plain: [Double] = []
        var curve: [Double] = []
        for _ in 0 ..< rounds {
            plain.append(try round(curve: false))
            curve.append(try round(curve: true))
        }
        let median = { (values: [Double]) in values.sorted()[values.count / 2] }
        return Report(
            frameBytes: frameBytes, messages: messages, rounds: rounds, plaintextMBps: median(plain), curveMBps: median(curve),
            ratio: median(curve) / median(plain))
    }

    /// One round: MB/s from the first send to the last message received.
    private func round(curve: Bool) throws -> Double {
        let context = try ZMQContext()
        let server = try CurveKeyPair.generate()
        let client = try CurveKeyPair.generate()
        var zap: ZAPHandler?
        if curve {
            zap = try ZAPHandler(context: context) { request in
                request.publicKey == client.publicKey ? .allow(userID: client.publicKey.z85) : .deny(reason: "not the benchmark's key")
            }
        }
        defer { zap?.stop() }
        let router = try RouterSocket(context: context)
        if curve { try router.enableCurveServer(server, zapDomain: "bench") }
        try router.set(.maxMessageSize(frameBytes + (1 << 20)))
        let endpoint = try router.bind("tcp://127.0.0.1:*")
        defer { router.close() }

        // The payload is the same bytes each time: the benchmark measures the wire, not the allocator.
        let payload = Data((0 ..< frameBytes).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) })
        let header = Data(repeating: 7, count: 256)
        let messages = self.messages
        let failure = SendFailure()
        let sender = Thread {
            do {
                // A context of its own, so the sender has its own I/O thread, as a
                // worker process does: encryption and decryption run side by side.
                let workerContext = try ZMQContext()
                let dealer = try DealerSocket(context: workerContext)
                defer { dealer.close() }
                if curve { try dealer.enableCurveClient(server: server.publicKey, keyPair: client) }
                try dealer.set(.linger(.seconds(10)))
                try dealer.connect(endpoint)
                for _ in 0 ..< messages { try dealer.send([header, payload]) }
                // Keep the socket until everything is out: the router says when.
                _ = try dealer.receive(timeout: .seconds(120))
            } catch {
                failure.set("\(error)")
            }
        }
        var started: ContinuousClock.Instant?
        var received = 0
        var peer: PeerID?
        sender.start()
        while received < messages {
            guard let message = try router.receive(timeout: .seconds(60)) else {
                throw WireError.invalidArgument("wire benchmark: only \(received) of \(messages) messages arrived in 60 s \(failure.text ?? "")")
            }
            if started == nil { started = .now }
            guard message.frames.count == 2, message.frames[1].count == frameBytes else {
                throw WireError.invalidArgument("wire benchmark: a message arrived damaged")
            }
            received += 1
            peer = message.peer
        }
        // The first message's arrival starts the clock (connection and handshake excluded), so
        // the bytes counted are those of the messages after it.
        let elapsed = ContinuousClock.now - started!
        if let peer { try router.send(to: peer, frames: [Data("done".utf8)]) }
        let seconds = elapsed.realSeconds
        return Double((messages - 1) * (frameBytes + header.count)) / seconds / 1e6
    }
}

/// The sender thread's error, if any, for the receiver's message.
private final class SendFailure: @unchecked Sendable {
    private let lock = NSLock()
    private var value: String?
    var text: String? { lock.withLock { value } }
    func set(_ text: String) { lock.withLock { value = text } }
}
