import Foundation
import Testing

@testable import ReelCLI

/// The security flags through the real argument parsing: plaintext off loopback
/// needs --insecure-plaintext, keys come in pairs, and no command takes a token
/// on its command line.
@Suite struct SecurityCommandTests {
    @Test func plaintextOffLoopbackIsRefusedWithWhatToDo() {
        do {
            _ = try CoordinatorCommand.parse(["--listen", "tcp://0.0.0.0:5555"])
            Issue.record("plaintext on 0.0.0.0 was accepted")
        } catch {
            let message = CoordinatorCommand.message(for: error)
            #expect(message.contains("--insecure-plaintext") && message.contains("reel keys generate"), "\(message)")
        }
        #expect(throws: Never.self) { _ = try CoordinatorCommand.parse(["--listen", "tcp://0.0.0.0:5555", "--insecure-plaintext"]) }
        #expect(throws: Never.self) { _ = try CoordinatorCommand.parse(["--listen", "tcp://127.0.0.1:5555"]) }
        do {
            _ = try WorkerCommand.parse(["--coordinator", "tcp://10.0.0.5:5555", "--simulated-step-ms", "5"])
            Issue.record("a plaintext worker to 10.0.0.5 was accepted")
        } catch {
            #expect(WorkerCommand.message(for: error).contains("--coordinator-key"))
        }
        #expect(throws: Never.self) {
            _ = try WorkerCommand.parse(["--coordinator", "tcp://10.0.0.5:5555", "--simulated-step-ms", "5", "--insecure-plaintext"])
        }
    }

    @Test func keysComeInPairs() {
        for arguments in [
            ["--listen", "tcp://0.0.0.0:5555", "--curve-key", "c.key"],
            ["--listen", "tcp://0.0.0.0:5555", "--allowed-workers", "allowed"],
            ["--curve-key", "c.key", "--allowed-workers", "allowed", "--insecure-plaintext"],
        ] {
            #expect(throws: (any Error).self, "\(arguments)") { _ = try CoordinatorCommand.parse(arguments) }
        }
        #expect(throws: (any Error).self) {
            _ = try WorkerCommand.parse(["--coordinator", "tcp://10.0.0.5:5555", "--simulated-step-ms", "5", "--key", "w.key"])
        }
    }

    @Test func noCommandTakesATokenOnItsCommandLine() {
        for (name, help) in [
            ("token create", TokenCreateCommand.helpMessage()), ("status", StatusCommand.helpMessage()),
            ("submit", SubmitCommand.helpMessage()), ("coordinator", CoordinatorCommand.helpMessage()),
        ] {
            #expect(!help.contains("--token"), "\(name) has a --token flag")
        }
        #expect(throws: (any Error).self) { _ = try StatusCommand.parse(["--token", "reel_x"]) }
    }

    @Test func keysGenerateWritesAPairAndRefusesToOverwrite() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("reel-keys-cli-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try KeysGenerateCommand.parse(["--out", directory, "--name", "gpu-01"]).run()
        let mode = try FileManager.default.attributesOfItem(atPath: "\(directory)/gpu-01.key")[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(FileManager.default.fileExists(atPath: "\(directory)/gpu-01.pub"))
        #expect(throws: (any Error).self) { try KeysGenerateCommand.parse(["--out", directory, "--name", "gpu-01"]).run() }
        #expect(throws: (any Error).self) { _ = try KeysGenerateCommand.parse(["--out", directory, "--name", "../x"]) }
    }
}
