import ArgumentParser
import Foundation
import ReelWire

/// `reel keys`: CURVE key pairs for the coordinator and the workers.
struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Make CURVE key pairs that authenticate and encrypt the workers' connections.",
        subcommands: [KeysGenerateCommand.self])
}

struct KeysGenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Write NAME.key (the key pair, 0600) and NAME.pub (the public key) into a directory.",
        discussion: """
            Make one pair for the coordinator and one per worker. The coordinator takes its .key file \
            (--curve-key) and an allow-list of worker .pub files (--allowed-workers: a file of .pub lines \
            or a directory of .pub files); each worker takes its own .key file (--key) and the \
            coordinator's .pub file (--coordinator-key). Secret keys are never printed.
            """)

    @Option(help: "Directory to write the files into (created if needed).")
    var out: String

    @Option(help: "Name of the pair: 'coordinator', or the worker's name.")
    var name: String

    func validate() throws {
        guard !name.isEmpty, name.count <= 64, name.allSatisfy({ $0.isLetter || $0.isNumber || "._-".contains($0) }), !name.hasPrefix(".") else {
            throw ValidationError("--name '\(name)' must be 1–64 letters, digits, '.', '-' or '_' (e.g. coordinator or gpu-07)")
        }
    }

    func run() throws {
        do {
            let pair = try CurveKeyPair.generate()
            let (secret, publicPath) = try pair.write(to: out, name: name)
            print("wrote \(secret) (secret, 0600: keep it on the machine that uses it)")
            print("wrote \(publicPath) (public key \(pair.publicKey))")
            if name == "coordinator" {
                print("next: copy \(publicPath) to each worker (--coordinator-key); start the coordinator with --curve-key \(secret)")
            } else {
                print("next: add \(publicPath) to the coordinator's --allowed-workers; start the worker with --key \(secret)")
            }
        } catch {
            throw ValidationError(error.description)
        }
    }
}
