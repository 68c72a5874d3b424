import Foundation

/// Runs a tool (`curl`, `reel`, `chromium`, `schemathesis`, `openssl`, `promtool`)
/// and waits for it on a thread of its own, never on one of Swift's cooperative
/// threads.
///
/// Why: there are only as many cooperative threads as cores, and the coordinator
/// a test serves in-process answers on them. A test that blocked one waiting for
/// `curl` to hear from that coordinator, while another test blocked the other, left
/// no thread to answer: on CI's two cores `APITLSTests` and `PrivateCATests` both
/// waited out their 60 s client timeouts together.
enum ToolRun {
    /// The tool's exit status and what it printed.
    struct Outcome: Sendable {
        let status: Int32
        let output: String
    }

    /// Runs `executable` (a path, or a name looked up on `PATH` through
    /// `/usr/bin/env`) with `arguments`, `environment` added to this process's, in
    /// `directory` if given, with `input` on its standard input. Standard error is
    /// part of `output` when `mergingStandardError`, else dropped.
    static func run(
        _ executable: String, _ arguments: [String], environment: [String: String] = [:], in directory: URL? = nil,
        input: Data? = nil, mergingStandardError: Bool = true
    ) async throws -> Outcome {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Outcome, Error>) in
            Thread.detachNewThread {
                let process = Process()
                if executable.hasPrefix("/") {
                    process.executableURL = URL(fileURLWithPath: executable)
                    process.arguments = arguments
                } else {
                    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
                    process.arguments = [executable] + arguments
                }
                process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
                if let directory { process.currentDirectoryURL = directory }
                let output = Pipe(), standardInput = Pipe()
                process.standardOutput = output
                process.standardError = mergingStandardError ? output : FileHandle.nullDevice
                process.standardInput = input == nil ? FileHandle.nullDevice : standardInput
                do {
                    try process.run()
                } catch {
                    continuation.resume(throwing: error)
                    return
                }
                if let input {
                    // Written from another thread, so a tool that answers before it
                    // has read all its input cannot fill the output pipe and stall.
                    let writer = standardInput.fileHandleForWriting
                    DispatchQueue.global().async {
                        writer.write(input)
                        try? writer.close()
                    }
                }
                let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                process.waitUntilExit()
                continuation.resume(returning: Outcome(status: process.terminationStatus, output: text))
            }
        }
    }
}
