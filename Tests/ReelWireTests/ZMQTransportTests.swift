import CZeroMQ
import Foundation
@testable import ReelWire
import Testing

/// Real ZeroMQ sockets over loopback TCP on ports the system picks. Receive
/// timeouts are upper bounds for a message that is on its way; only the tests that
/// expect nothing wait out a (short) timeout.
@Suite("ZeroMQ transport")
struct ZMQTransportTests {
    let context: ZMQContext
    /// Long enough for loopback delivery on a loaded machine; only reached on failure.
    let arrival: Duration = .seconds(5)

    init() throws {
        context = try ZMQContext()
    }

    func router() throws -> (RouterSocket, String) {
        let router = try RouterSocket(context: context)
        let endpoint = try router.bind("tcp://127.0.0.1:*")
        return (router, endpoint)
    }

    func dealer(_ endpoint: String) throws -> DealerSocket {
        let dealer = try DealerSocket(context: context)
        try dealer.connect(endpoint)
        return dealer
    }

    @Test("binding to port * reports the port chosen")
    func ephemeralPort() throws {
        let (_, endpoint) = try router()
        #expect(endpoint.hasPrefix("tcp://127.0.0.1:"))
        let port = Int(endpoint.split(separator: ":").last ?? "")
        #expect(port.map { $0 > 0 && $0 < 65536 } == true)
    }

    @Test("an envelope and two tensors cross ROUTER/DEALER and back")
    func multipartRoundTrip() throws {
        let (router, endpoint) = try router()
        let worker = try dealer(endpoint)
        var (envelope, tensors) = try WireSamples.assignment()
        tensors = Array(tensors.prefix(2))
        envelope.shardAssignment.embeds.clearNegative()
        let sent = try WireCodec.encode(envelope, tensors: tensors)
        try worker.send(sent)

        let received = try #require(try router.receive(timeout: arrival))
        #expect(received.frames == sent)
        let message = try WireCodec.decode(received.frames)
        #expect(message.tensors == tensors)
        #expect(message.envelope.shardAssignment.jobID == 42)

        let (reply, replyTensors) = try WireSamples.result()
        let replyFrames = try WireCodec.encode(reply, tensors: replyTensors)
        try router.send(to: received.peer, frames: replyFrames)
        let back = try #require(try worker.receive(timeout: arrival))
        #expect(try WireCodec.decode(back).tensors == replyTensors)
    }

    /// Frames of 64 KiB and more are lent to libzmq and adopted from it without a
    /// copy: the bytes must arrive intact, and both the sent `Data` and the
    /// received one must stay valid after the sockets are gone.
    @Test("large frames cross without a copy and outlive their sockets")
    func zeroCopyFrames() throws {
        let sizes = [ZMQSocket.zeroCopyBytes - 1, ZMQSocket.zeroCopyBytes, 9 << 20]
        let frames = sizes.enumerated().map { index, size in
            Data((0 ..< size).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ index) })
        }
        var received: [Data] = []
        var echoed: [Data] = []
        do {
            let (router, endpoint) = try router()
            let worker = try dealer(endpoint)
            try worker.send([Data("head".utf8)] + frames)
            let message = try #require(try router.receive(timeout: arrival))
            received = message.frames
            try router.send(to: message.peer, frames: received)
            echoed = try #require(try worker.receive(timeout: arrival))
        }
        #expect(received.map(\.count) == [4] + sizes)
        #expect(Array(received.dropFirst()) == frames)
        #expect(Array(echoed.dropFirst()) == frames)
    }

    @Test("replies go to the dealer that asked")
    func peerRouting() throws {
        let (router, endpoint) = try router()
        let workers = [try dealer(endpoint), try dealer(endpoint)]
        for (index, worker) in workers.enumerated() {
            try worker.send(try WireCodec.encode(WireSamples.hello(name: "w\(index)"), tensors: []))
        }
        var peers: [String: PeerID] = [:]
        for _ in workers {
            let (peer, frames) = try #require(try router.receive(timeout: arrival))
            peers[try WireCodec.decode(frames).envelope.hello.workerName] = peer
        }
        #expect(peers.count == 2)
        #expect(peers["w0"] != peers["w1"])
        // Answer in reverse order so arrival order cannot make the test pass.
        for name in ["w1", "w0"] {
            var welcome = Reel_V1_Envelope()
            welcome.welcome.workerName = name
            try router.send(to: try #require(peers[name]), frames: try WireCodec.encode(welcome, tensors: []))
        }
        for (index, worker) in workers.enumerated() {
            let frames = try #require(try worker.receive(timeout: arrival))
            #expect(try WireCodec.decode(frames).envelope.welcome.workerName == "w\(index)")
        }
    }

    @Test("a dealer's routing id is the peer id the router sees")
    func routingID() throws {
        let (router, endpoint) = try router()
        let worker = try DealerSocket(context: context)
        try worker.set(.routingID(Array("worker-a".utf8)))
        try worker.connect(endpoint)
        try worker.send([Data([1])])
        let received = try #require(try router.receive(timeout: arrival))
        withExtendedLifetime(worker) {}
        #expect(received.peer == PeerID(Array("worker-a".utf8)))
        #expect(received.peer.description == "776f726b65722d61")
    }

    @Test("ZMQ_MAXMSGSIZE drops an oversized message and the router keeps serving others")
    func maxMessageSize() throws {
        // Control: under the limit the same 4 KiB frame arrives.
        let roomy = try RouterSocket(context: context)
        try roomy.set(.maxMessageSize(8192))
        let sender = try dealer(try roomy.bind("tcp://127.0.0.1:*"))
        try sender.send([Data(repeating: 7, count: 4096)])
        // Sockets linger 0: a dealer released early would drop its queued message.
        let control = try roomy.receive(timeout: arrival)
        withExtendedLifetime(sender) {}
        #expect(control?.frames == [Data(repeating: 7, count: 4096)])

        let router = try RouterSocket(context: context)
        try router.set(.maxMessageSize(1024))
        let endpoint = try router.bind("tcp://127.0.0.1:*")
        let big = try dealer(endpoint)
        try big.send([Data(repeating: 7, count: 4096)])
        let dropped = try router.receive(timeout: .milliseconds(200))
        withExtendedLifetime(big) {}
        #expect(dropped == nil)

        let small = try dealer(endpoint)
        try small.send([Data(repeating: 1, count: 512)])
        let received = try #require(try router.receive(timeout: arrival))
        #expect(received.frames == [Data(repeating: 1, count: 512)])
        try router.send(to: received.peer, frames: [Data([2])])
        #expect(try small.receive(timeout: arrival) == [Data([2])])
    }

    @Test("sending to an unknown peer is an error, not a silent drop")
    func routerMandatory() throws {
        let (router, _) = try router()
        let stranger = PeerID([0, 1, 2, 3, 4])
        expectWireError("unknown peer", { () throws(WireError) in
            try router.send(to: stranger, frames: [Data([1])])
        }, matches: { if case .peerUnreachable(stranger, _) = $0 { true } else { false } })
    }

    @Test("sending to a dealer that closed becomes an error")
    func vanishedPeer() throws {
        let (router, endpoint) = try router()
        let worker = try dealer(endpoint)
        try worker.send([Data([1])])
        let peer = try #require(try router.receive(timeout: arrival)).peer
        worker.close()
        // libzmq notices the disconnect asynchronously; until then sends still queue.
        let deadline = ContinuousClock.now + arrival
        while ContinuousClock.now < deadline {
            do {
                try router.send(to: peer, frames: [Data([1])])
            } catch {
                if case .peerUnreachable(peer, _) = error { return }
                Issue.record("expected peerUnreachable, got \(error)")
                return
            }
            _ = try router.receive(timeout: .milliseconds(10))
        }
        Issue.record("router still accepted sends to \(peer) after it closed")
    }

    @Test("receive with a timeout returns nil when nothing arrives")
    func receiveTimeout() throws {
        let (router, endpoint) = try router()
        let worker = try dealer(endpoint)
        #expect(try router.receive(timeout: .zero) == nil)
        let start = ContinuousClock.now
        #expect(try worker.receive(timeout: .milliseconds(50)) == nil)
        #expect(ContinuousClock.now - start >= .milliseconds(45))
    }

    @Test("poll reports which sockets can receive")
    func poller() throws {
        let endpoint = "inproc://poller-\(UInt64.random(in: 0...UInt64.max))"
        let a = try ZMQSocket(context, kind: .pair)
        try a.bind(endpoint)
        let b = try ZMQSocket(context, kind: .pair)
        try b.connect(endpoint)
        let idle = try ZMQSocket(context, kind: .pair)
        try idle.bind(endpoint + "-idle")

        #expect(try ZMQPoller.poll([a, idle, b], timeout: .milliseconds(20)) == [])
        try b.send([[1, 2], [3]])
        #expect(try ZMQPoller.poll([idle, a], timeout: arrival) == [1])
        #expect(try a.receive(timeout: .zero) == [Data([1, 2]), Data([3])])
        #expect(try ZMQPoller.poll([idle, a], timeout: .zero) == [])
    }

    @Test("options reach libzmq; out-of-range ones are refused")
    func options() throws {
        let socket = try ZMQSocket(context, kind: .dealer)
        #expect(try socket.intOption(ZMQ_LINGER) == 0)
        try socket.set(.linger(.milliseconds(250)))
        try socket.set(.heartbeatInterval(.milliseconds(1500)))
        try socket.set(.heartbeatTimeout(.microseconds(2500)))
        try socket.set(.heartbeatTTL(.seconds(10)))
        try socket.set(.reconnectInterval(.milliseconds(100)))
        try socket.set(.reconnectIntervalMax(.seconds(5)))
        try socket.set(.sendHighWaterMark(10))
        try socket.set(.receiveHighWaterMark(20))
        try socket.set(.sendTimeout(nil))
        try socket.set(.immediate(true))
        try socket.set(.maxMessageSize(nil))
        #expect(try socket.intOption(ZMQ_LINGER) == 250)
        #expect(try socket.intOption(ZMQ_HEARTBEAT_IVL) == 1500)
        #expect(try socket.intOption(ZMQ_HEARTBEAT_TIMEOUT) == 3)  // rounded up
        #expect(try socket.intOption(ZMQ_RECONNECT_IVL_MAX) == 5000)
        #expect(try socket.intOption(ZMQ_SNDHWM) == 10)
        #expect(try socket.intOption(ZMQ_RCVHWM) == 20)
        #expect(try socket.intOption(ZMQ_SNDTIMEO) == -1)

        let invalid: [ZMQOption] = [
            .routingID([]), .routingID([0, 1]), .routingID(Array(repeating: 1, count: 256)),
            .linger(.milliseconds(-1)), .sendHighWaterMark(-1), .maxMessageSize(-5),
        ]
        for option in invalid {
            expectWireError("\(option)", { () throws(WireError) in try socket.set(option) }, matches: {
                if case .invalidArgument = $0 { true } else { false }
            })
        }
    }

    @Test("errors name the call and endpoint; a closed socket says so")
    func errors() throws {
        let socket = try ZMQSocket(context, kind: .router)
        expectWireError("bad endpoint", { () throws(WireError) in
            try socket.bind("tcp://127.0.0.1:not-a-port")
        }, matches: {
            if case .zmq("bind", "tcp://127.0.0.1:not-a-port", _, let message) = $0 { !message.isEmpty } else { false }
        })
        socket.close()
        socket.close()
        expectWireError("closed", { () throws(WireError) in try socket.send([[1]]) }, matches: {
            $0 == .socketClosed(kind: "ROUTER")
        })
        expectWireError("empty send", { () throws(WireError) in
            try ZMQSocket(context, kind: .dealer).send([Data]())
        }, matches: { if case .invalidArgument = $0 { true } else { false } })
    }

    @Test("the libzmq version is reported")
    func version() {
        let parts = ZMQContext.libraryVersion.split(separator: ".").compactMap { Int($0) }
        #expect(parts.count == 3)
        #expect(parts.first == 4)
    }
}
