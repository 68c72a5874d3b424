import Foundation
@testable import ReelWire
import Testing

/// CurveZMQ between a ROUTER and DEALERs over loopback TCP, with a real ZAP
/// handler: a known key gets through with its key as the connection's user id,
/// an unknown key never delivers a message; key files keep their secret.
@Suite("CurveZMQ")
struct CurveTransportTests {
    let arrival: Duration = .seconds(5)

    /// Decisions the handler made, read from the test's thread.
    final class Seen: @unchecked Sendable {
        private let lock = NSLock()
        private var requests: [ZAPHandler.Request] = []
        func add(_ request: ZAPHandler.Request) { lock.withLock { requests.append(request) } }
        var all: [ZAPHandler.Request] { lock.withLock { requests } }
    }

    @Test func libzmqHasCurve() {
        #expect(CurveZMQ.isAvailable)
    }

    @Test func aKnownKeyConnectsAndAnUnknownKeyNeverDelivers() throws {
        let context = try ZMQContext()
        let server = try CurveKeyPair.generate(), known = try CurveKeyPair.generate(), stranger = try CurveKeyPair.generate()
        let seen = Seen()
        let zap = try ZAPHandler(context: context) { request in
            seen.add(request)
            return request.publicKey == known.publicKey ? .allow(userID: known.publicKey.z85) : .deny(reason: "not allowed")
        }
        defer { zap.stop() }
        let router = try RouterSocket(context: context)
        try router.enableCurveServer(server, zapDomain: "test")
        let endpoint = try router.bind("tcp://127.0.0.1:*")
        defer { router.close() }

        let good = try DealerSocket(context: context)
        try good.enableCurveClient(server: server.publicKey, keyPair: known)
        try good.connect(endpoint)
        try good.send([Data("hello".utf8)])
        let received = try #require(try router.receiveAuthenticated(timeout: arrival))
        #expect(received.frames == [Data("hello".utf8)])
        #expect(received.userID == known.publicKey.z85)
        try router.send(to: received.peer, frames: [Data("welcome".utf8)])
        #expect(try good.receive(timeout: arrival) == [Data("welcome".utf8)])

        let bad = try DealerSocket(context: context)
        try bad.enableCurveClient(server: server.publicKey, keyPair: stranger)
        try bad.connect(endpoint)
        try bad.send([Data("let me in".utf8)])
        // Wait until the handler has seen the stranger's handshake, then a little
        // more: its message must never arrive.
        let deadline = ContinuousClock.now + arrival
        while !seen.all.contains(where: { $0.publicKey == stranger.publicKey }) && ContinuousClock.now < deadline {
            Thread.sleep(forTimeInterval: 0.02)
        }
        #expect(seen.all.contains { $0.publicKey == stranger.publicKey && $0.mechanism == "CURVE" && $0.domain == "test" && $0.address == "127.0.0.1" })
        #expect(try router.receiveAuthenticated(timeout: .milliseconds(500)) == nil)

        // A plaintext client cannot talk to a CURVE server either.
        let plain = try DealerSocket(context: context)
        try plain.connect(endpoint)
        try plain.send([Data("plaintext".utf8)])
        #expect(try router.receiveAuthenticated(timeout: .milliseconds(500)) == nil)
        bad.close()
        good.close()
        plain.close()
    }

    @Test func zapAnswersFollowRFC27() {
        let key = Data((0 ..< 32).map { UInt8($0) })
        let request = ["1.0", "7", "dom", "10.1.2.3", ""].map { Data($0.utf8) } + [Data("CURVE".utf8), key]
        let allowed = ZAPHandler.answer(request) { _ in .allow(userID: "user") }
        #expect(allowed.map { String(decoding: $0, as: UTF8.self) } == ["1.0", "7", "200", "OK", "user", ""])
        let denied = ZAPHandler.answer(request) { _ in .deny(reason: "no") }
        #expect(denied.map { String(decoding: $0, as: UTF8.self) } == ["1.0", "7", "400", "no", "", ""])
        let malformed = ZAPHandler.answer([Data("2.0".utf8), Data("8".utf8)]) { _ in .allow(userID: "user") }
        #expect(String(decoding: malformed[2], as: UTF8.self) == "500")
        let shortKey = ZAPHandler.answer(Array(request.dropLast()) + [Data([1, 2])]) { _ in .allow(userID: "user") }
        #expect(String(decoding: shortKey[2], as: UTF8.self) == "400")
    }

    @Test func keyFilesKeepTheirSecret() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("reel-keys-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let pair = try CurveKeyPair.generate()
        let (secretPath, publicPath) = try pair.write(to: directory, name: "w1")
        let mode = { (path: String) in ((try? FileManager.default.attributesOfItem(atPath: path)[.posixPermissions]) as? Int) ?? -1 }
        #expect(mode(secretPath) == 0o600)
        #expect(mode(publicPath) == 0o644)
        let read = try CurveKeyPair.read(from: secretPath)
        #expect(read.publicKey == pair.publicKey)
        #expect(read.secretKey == pair.secretKey)
        #expect(try CurvePublicKey.read(from: publicPath) == pair.publicKey)
        let publicText = try String(contentsOfFile: publicPath, encoding: .utf8)
        #expect(!publicText.contains(pair.secretKey.z85))
        #expect(publicText == "\(pair.publicKey.z85) w1\n")

        // Never printed: descriptions, option descriptions and errors hide it.
        #expect(!"\(pair.secretKey)".contains(pair.secretKey.z85))
        #expect(!"\(ZMQOption.curveSecretKey(pair.secretKey))".contains(pair.secretKey.z85))
        #expect(!String(reflecting: pair.secretKey).contains(pair.secretKey.z85))
        #expect(throws: CurveKeyError.self) { try CurveSecretKey(z85: "short") }
        do {
            _ = try CurveSecretKey(z85: pair.secretKey.z85 + "!")
            Issue.record("41 characters accepted")
        } catch {
            #expect(!error.description.contains(pair.secretKey.z85))
        }

        // Refused: overwriting, a key file others can read, a .key passed as a .pub.
        #expect(throws: CurveKeyError.self) { try pair.write(to: directory, name: "w1") }
        chmod(secretPath, 0o644)
        #expect(throws: CurveKeyError.self) { try CurveKeyPair.read(from: secretPath) }
        #expect(throws: CurveKeyError.self) { try CurvePublicKey.read(from: secretPath) }
    }

    @Test func loopbackEndpoints() {
        for endpoint in ["tcp://127.0.0.1:5555", "tcp://127.8.0.1:*", "tcp://localhost:5555", "tcp://[::1]:5555", "ipc:///tmp/x", "inproc://a"] {
            #expect(WireEndpoint.isLoopback(endpoint), "\(endpoint)")
        }
        for endpoint in ["tcp://0.0.0.0:5555", "tcp://*:5555", "tcp://10.0.0.5:5555", "tcp://eth0:5555", "tcp://[::]:5555", "tcp://127.0.0.1.evil:1", "tcp://example.com:5555"] {
            #expect(!WireEndpoint.isLoopback(endpoint), "\(endpoint)")
        }
    }
}
