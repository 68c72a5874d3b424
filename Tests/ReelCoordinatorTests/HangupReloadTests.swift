import Foundation
import Logging
import ReelWire
import Testing

@testable import ReelCoordinator

/// SIGHUP re-reads the allow-list at once (``WorkerAuthority/reloadOnHangup()``),
/// in this process: the periodic re-read is an hour away, so only the signal can
/// admit the key added after start. (``AllowListReloadTests`` does the same to a
/// real `reel coordinator` process.)
@Suite(.serialized) struct HangupReloadTests {
    @Test func sighupReReadsTheAllowListAtOnce() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("reel-hangup-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: directory) }
        let first = try CurveKeyPair.generate(), late = try CurveKeyPair.generate()
        try first.write(to: directory.path, name: "first")
        let authority = try WorkerAuthority(path: directory.path, reloadInterval: .seconds(3600), logger: Logger(label: "test"))
        defer { authority.stop() }
        authority.reloadOnHangup()
        try late.write(to: directory.path, name: "late")
        try await Task.sleep(for: .milliseconds(300))
        #expect(!authority.allows(userID: late.publicKey.z85), "the list was re-read without SIGHUP")
        kill(getpid(), SIGHUP)
        let deadline = ContinuousClock.now + .seconds(5)
        while !authority.allows(userID: late.publicKey.z85) && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(authority.allows(userID: late.publicKey.z85), "SIGHUP did not re-read the allow-list")
        #expect(authority.allows(userID: first.publicKey.z85))
    }
}
