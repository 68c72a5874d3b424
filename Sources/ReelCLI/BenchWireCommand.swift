import ArgumentParser
import Foundation
import ReelFarm

struct BenchWireCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wire",
        abstract: "Shard transfer throughput over loopback TCP, plaintext against CurveZMQ, in one run.",
        discussion: """
            A DEALER sends shard-sized messages to a ROUTER, as a worker sends results to the coordinator; \
            with CURVE, through the real handshake and ZAP handler. Rounds alternate between the modes; \
            each figure is the median of its rounds. Loopback has no network cost, so the ratio is CURVE's \
            CPU cost at its worst: on a real network the wire is slower and the ratio closer to 1.
            """)

    @Option(help: "MiB per message (8: a shard's latents at 832×480).")
    var mebibytes = 8
    @Option(help: "Messages per round.")
    var messages = 32
    @Option(help: "Rounds per mode.")
    var rounds = 3
    @Flag(help: "Print JSON.")
    var json = false

    func validate() throws {
        guard (1 ... 256).contains(mebibytes) else { throw ValidationError("--mebibytes must be 1…256") }
        guard (2 ... 10_000).contains(messages) else { throw ValidationError("--messages must be 2…10000") }
        guard (1 ... 99).contains(rounds) else { throw ValidationError("--rounds must be 1…99") }
    }

    func run() throws {
        let report = try WireBenchmark(frameBytes: mebibytes << 20, messages: messages, rounds: rounds).run()
        if json { return print(try CLIJSON.text(report)) }
        print("messages     \(report.messages) × \(mebibytes) MiB, \(report.rounds) rounds per mode, loopback TCP")
        print(String(format: "plaintext    %.0f MB/s", report.plaintextMBps))
        print(String(format: "CURVE        %.0f MB/s", report.curveMBps))
        print(String(format: "ratio        %.2f (CURVE / plaintext)", report.ratio))
    }
}
