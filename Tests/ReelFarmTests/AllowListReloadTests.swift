import Foundation
import ReelCoordinator
import ReelWire
import Testing

/// SIGHUP re-reads the worker allow-list at once (issue 14): a real `reel
/// coordinator` whose periodic re-read is an hour apart admits a worker whose
/// key was listed after it started as soon as it is sent SIGHUP, and keeps running;
/// a worker already refused before its key was listed joins too (libzmq does not
/// retry a refused handshake, so the worker opens a new connection itself).
@Suite(.serialized, .farmSlot) struct AllowListReloadTests {
    @Test func sighupAdmitsANewlyAllowedWorkerWithoutWaitingForThePeriodicReRead() async throws {
        var keys = try CurveFarmTests.Keys()
        defer { keys.remove() }
        try keys.add("stranger", allowed: false)
        try keys.add("added", allowed: false)
        try keys.add("late", allowed: false)
        let keyDirectory = keys.root.appendingPathComponent("keys").path
        let farm = try ProcessFarm()
        defer { farm.stop() }
        try await farm.startCoordinator(arguments: [
            "--curve-key", "\(keyDirectory)/coordinator.key", "--allowed-workers", keys.allowed, "--allow-list-reload-seconds", "3600",
        ])
        let coordinator = try #require(farm.coordinator)
        func worker(_ name: String) -> [String] { ["--coordinator-key", "\(keyDirectory)/coordinator.pub", "--key", "\(keyDirectory)/\(name).key"] }
        // The list is enforced: a key not on it is refused.
        try farm.startWorker("stranger", arguments: worker("stranger"))
        _ = try await coordinator.waitForLine(containing: "worker connection rejected", timeout: .seconds(30))
        // Started, and refused, before its key is listed.
        try farm.startWorker("late", arguments: worker("late"))
        try await farm.waitUntil(timeout: .seconds(30)) {
            try String(contentsOf: coordinator.log, encoding: .utf8).components(separatedBy: "worker connection rejected").count > 2
        }

        try FileManager.default.copyItem(atPath: "\(keyDirectory)/added.pub", toPath: "\(keys.allowed)/added.pub")
        try FileManager.default.copyItem(atPath: "\(keyDirectory)/late.pub", toPath: "\(keys.allowed)/late.pub")
        try await Task.sleep(for: .seconds(2))
        let before = try String(contentsOf: coordinator.log, encoding: .utf8)
        #expect(!before.contains("worker allow-list reloaded"), "the list was re-read without SIGHUP")
        let sent = ContinuousClock.now
        coordinator.signal(SIGHUP)
        let line = try await coordinator.waitForLine(containing: "worker allow-list reloaded", timeout: .seconds(5))
        print("allow-list re-read \(ContinuousClock.now - sent) after SIGHUP: \(line)")
        #expect(line.contains("why=SIGHUP") && line.contains("keys=2"), "\(line)")
        try farm.startWorker("added", arguments: worker("added"))
        try await farm.waitUntil(timeout: .seconds(30)) { try await farm.client.workers().contains { $0.name == "added" && $0.state == "active" } }
        try await farm.waitUntil(timeout: .seconds(60)) { try await farm.client.workers().contains { $0.name == "late" && $0.state == "active" } }
        #expect(try await farm.client.workers().contains { $0.name == "stranger" } == false, "a key still not on the list joined")
        #expect(coordinator.isRunning, "SIGHUP ended the coordinator")
    }
}
