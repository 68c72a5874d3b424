import Foundation
import Logging
import ReelPlan
@testable import ReelWire
import Testing

@testable import ReelCoordinator

/// A worker whose key leaves the allow-list: the core drops it like a lost
/// worker (its lease goes back to the queue) and tells it why; the allow-list
/// file is parsed without ever quoting a bad line.
@Suite struct RevocationTests {
    typealias Core = CoordinatorCoreTests

    @Test func aRevokedWorkerIsRefusedAndItsLeaseRequeued() throws {
        var core = try Core.farm()
        _ = Core.lease(&core, token: 1)
        #expect(core.workers[Core.peerA]?.running[.shard(job: 1, Core.first)] != nil)
        let actions = core.handle(.revoked(Core.peerA, reason: "removed from allow-list", at: Core.at(1)))
        #expect(core.workers[Core.peerA] == nil, "the worker is gone from the farm")
        #expect(actions.contains { if case .refuse(Core.peerA, .invalid, _) = $0 { return true } else { return false } }, "\(actions)")
        #expect(actions.contains { if case .requeue(.shard(1, Core.first), 1, "a", _, _, _) = $0 { return true } else { return false } }, "\(actions)")
        #expect(actions.contains { if case .setWorkerState(name: "a", .lost) = $0 { return true } else { return false } }, "\(actions)")
        // A second revocation of the same peer (its next message) changes nothing.
        #expect(core.handle(.revoked(Core.peerA, reason: "again", at: Core.at(2))).isEmpty)
    }

    @Test func allowListFileAndDirectoryAreRead() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("reel-allow-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let one = try CurveKeyPair.generate(), two = try CurveKeyPair.generate()
        // A file: comments, a named line, an unnamed one, and a pasted secret key line.
        let file = directory.appendingPathComponent("allowed").path
        let pasted = "secret-key = \(String(repeating: "x", count: 40))"
        // Z85 has '#' among its characters: a key holding one is still a key.
        let hashed = try CurvePublicKey(z85: "0000#" + String(repeating: "0", count: 35))
        let text = "# farm workers\n\(one.publicKey) gpu-01\n\n\(two.publicKey)  # spare\n\(pasted)\n\(hashed) odd # note\n"
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        let list = try WorkerAllowList.read(from: file)
        #expect(list.keys[one.publicKey] == "gpu-01")
        #expect(list.keys[two.publicKey] != nil)
        #expect(list.keys[hashed] == "odd")
        #expect(list.keys.count == 3)
        #expect(list.problems.count == 1)
        #expect(list.problems.allSatisfy { !$0.contains("xxxx") }, "a bad line is never quoted")

        // A directory of .pub files, as `reel keys generate` writes them; .key files are ignored.
        let keys = directory.appendingPathComponent("keys").path
        try one.write(to: keys, name: "w1")
        try two.write(to: keys, name: "w2")
        let fromDirectory = try WorkerAllowList.read(from: keys)
        #expect(fromDirectory.keys == [one.publicKey: "w1", two.publicKey: "w2"])
        #expect(fromDirectory.problems.isEmpty)

        #expect(throws: CurveKeyError.self) { try WorkerAllowList.read(from: directory.appendingPathComponent("missing").path) }
    }

    @Test func theAuthorityFollowsTheFile() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("reel-authority-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: directory) }
        let one = try CurveKeyPair.generate(), two = try CurveKeyPair.generate()
        try one.write(to: directory.path, name: "w1")
        try two.write(to: directory.path, name: "w2")
        // A long interval: this test drives the reloads itself.
        let authority = try WorkerAuthority(path: directory.path, reloadInterval: .seconds(3600), logger: Logger(label: "test"))
        defer { authority.stop() }
        let curve = { (key: CurvePublicKey) in ZAPHandler.Request(domain: "reel-workers", address: "10.0.0.9", mechanism: "CURVE", publicKey: key) }
        #expect(authority.decide(curve(one.publicKey)) == .allow(userID: one.publicKey.z85))
        #expect(authority.decide(curve(two.publicKey)) == .allow(userID: two.publicKey.z85))
        #expect(authority.decide(ZAPHandler.Request(domain: "reel-workers", address: "10.0.0.9", mechanism: "NULL", publicKey: nil)) != .allow(userID: ""))
        let before = authority.generation
        #expect(authority.reload() == false, "an unchanged list is no change")

        try FileManager.default.removeItem(atPath: directory.appendingPathComponent("w2.pub").path)
        #expect(authority.reload())
        #expect(authority.generation == before + 1)
        #expect(authority.allows(userID: one.publicKey.z85))
        #expect(!authority.allows(userID: two.publicKey.z85))
        if case .allow = authority.decide(curve(two.publicKey)) { Issue.record("a revoked key was allowed") }
        #expect(!authority.allows(userID: nil))
    }

    @Test func aRejectedKeyIsLoggedWithItsAddressAndNoSecret() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("reel-reject-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: directory) }
        let member = try CurveKeyPair.generate(), stranger = try CurveKeyPair.generate()
        try member.write(to: directory.path, name: "member")
        let lines = LogLines()
        let logger = Logger(label: "test") { _ in RecordingLogHandler(lines: lines) }
        let authority = try WorkerAuthority(path: directory.path, reloadInterval: .seconds(3600), logger: logger)
        defer { authority.stop() }
        let request = ZAPHandler.Request(domain: "reel-workers", address: "10.0.0.9", mechanism: "CURVE", publicKey: stranger.publicKey)
        #expect(authority.decide(request) == .deny(reason: "worker key not allowed"))
        let rejected = lines.all.filter { $0.contains("worker connection rejected") }
        #expect(rejected.count == 1, "\(lines.all)")
        #expect(rejected.first?.contains(stranger.publicKey.z85) == true && rejected.first?.contains("10.0.0.9") == true)
        for line in lines.all {
            #expect(!line.contains(member.secretKey.z85) && !line.contains(stranger.secretKey.z85))
        }
    }
}

/// Log lines, kept for a test to read.
final class LogLines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func add(_ line: String) { lock.withLock { lines.append(line) } }
    var all: [String] { lock.withLock { lines } }
}

/// A swift-log handler that writes each entry, with its metadata, to ``LogLines``.
struct RecordingLogHandler: LogHandler {
    let lines: LogLines
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(
        level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String, file: String, function: String, line: UInt
    ) {
        lines.add("\(level) \(message) \(self.metadata.merging(metadata ?? [:]) { $1 })")
    }
}
