import Foundation
import ReelCoordinator

/// Where sources go: the coordinator's `/v1/sources` (``CoordinatorClient``), or a
/// test's recorder.
protocol SourceDestination: Sendable {
    func hasSource(_ digest: String) async throws -> Bool
    func uploadSource(_ digest: String, bytes: Data) async throws -> CoordinatorClient.UploadedSource
}

extension CoordinatorClient: SourceDestination {}

/// Sends each conditioning source the coordinator does not have yet, before the job
/// that names it: `HEAD` first, then `PUT` if it is missing, once per digest however
/// many items name it. On a terminal each upload is one line redrawn when it ends;
/// otherwise (a log, a pipe) a plain line when it ends.
struct SourceUploader {
    let destination: any SourceDestination
    var isTerminal: Bool = isatty(STDERR_FILENO) == 1
    /// Where the lines go (stderr; a test collects them).
    var write: (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }

    /// What happened to one source.
    enum Outcome: Equatable {
        case present, uploaded(bytes: Int)
    }

    /// Makes sure the coordinator holds every source in `sources` (first occurrence of
    /// each digest wins); the outcome per digest, in order.
    @discardableResult
    func ensure(_ sources: [LocalSource]) async throws -> [(digest: String, outcome: Outcome)] {
        var seen: Set<String> = []
        var outcomes: [(digest: String, outcome: Outcome)] = []
        for source in sources where seen.insert(source.digest).inserted {
            outcomes.append((source.digest, try await ensure(source)))
        }
        return outcomes
    }

    private func ensure(_ source: LocalSource) async throws -> Outcome {
        let name = "\(source.file) (sha256 \(source.digest.prefix(12))…)"
        do {
            if try await destination.hasSource(source.digest) {
                write("source \(name): already on the coordinator\n")
                return .present
            }
            // Read again, as sent: a file changed since it was checked must not go under the old name.
            let data = try LocalSource.read(source.file)
            guard LocalSource.digest(of: data) == source.digest else {
                throw SubmitError("'\(source.file)' changed after it was read (its sha256 is no longer \(source.digest.prefix(12))…): submit again")
            }
            let size = Self.size(data.count)
            if isTerminal { write("uploading source \(name), \(size)…") }
            let started = ContinuousClock.now
            let stored = try await destination.uploadSource(source.digest, bytes: data)
            guard stored.sha256 == source.digest, stored.bytes == data.count else {
                throw SubmitError(
                    "the coordinator stored \(stored.bytes) bytes as sha256 \(stored.sha256.prefix(12))… for '\(source.file)' "
                        + "(\(data.count) bytes, \(source.digest.prefix(12))…): is it a reel coordinator?")
            }
            let seconds = (ContinuousClock.now - started).components
            let elapsed = Double(seconds.seconds) + Double(seconds.attoseconds) * 1e-18
            let line = String(format: "uploaded source %@, %@ in %.1f s", name, size, elapsed)
            write(isTerminal ? "\r\u{1B}[K" + line + "\n" : line + "\n")
            return .uploaded(bytes: data.count)
        } catch let failure as CoordinatorClient.SourceUploadFailure {
            if isTerminal { write("\n") }
            throw SubmitError("cannot upload '\(source.file)': \(failure)")
        } catch let failure as CoordinatorClient.Failure {
            if isTerminal { write("\n") }
            throw SubmitError("cannot upload '\(source.file)': \(failure)")
        }
    }

    /// `812 B`, `1.4 MB`.
    static func size(_ bytes: Int) -> String {
        bytes < 1000 ? "\(bytes) B" : bytes < 1_000_000 ? String(format: "%.1f kB", Double(bytes) / 1e3) : String(format: "%.1f MB", Double(bytes) / 1e6)
    }
}
