import Foundation
import ReelWire

/// The worker public keys a coordinator accepts, read from a file of lines
/// `<public key> [name]` (`#` starts a comment) or from a directory of such
/// files named `*.pub` — the `.pub` files `reel keys generate` writes.
public struct WorkerAllowList: Sendable, Equatable {
    /// Each accepted key and the name its line gave (or the file it came from).
    public var keys: [CurvePublicKey: String]
    /// Lines that are not keys, with their file and line number: they are logged
    /// and skipped, so one typo does not lock every worker out.
    public var problems: [String]

    public init(keys: [CurvePublicKey: String] = [:], problems: [String] = []) {
        self.keys = keys
        self.problems = problems
    }

    /// Reads `path`: a file, or a directory whose `*.pub` files are read in name order.
    public static func read(from path: String) throws(CurveKeyError) -> WorkerAllowList {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw .file(path: path, reason: "no such allow-list; create it with one worker .pub line per worker (an empty file admits none)")
        }
        var list = WorkerAllowList()
        if isDirectory.boolValue {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: path) else {
                throw .file(path: path, reason: "cannot list the allow-list directory")
            }
            for name in names.sorted() where name.hasSuffix(".pub") {
                let file = URL(fileURLWithPath: path).appendingPathComponent(name).path
                guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                    list.problems.append("\(file): cannot be read")
                    continue
                }
                list.parse(text, file: file, defaultName: String(name.dropLast(4)))
            }
        } else {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw .file(path: path, reason: "cannot read the allow-list as UTF-8 text")
            }
            list.parse(text, file: path, defaultName: nil)
        }
        return list
    }

    /// Adds the keys of one file's text.
    mutating func parse(_ text: String, file: String, defaultName: String?) {
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            // Z85 has '#' among its characters, so a comment is a word starting with
            // '#' that is not a key: a whole line, or what follows the key and name.
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
            guard let first = words.first else { continue }
            let key = try? CurvePublicKey(z85: String(first))
            if key == nil && first.hasPrefix("#") { continue }
            guard let key else {
                // Never quote the line: a secret key pasted here by mistake must not reach the log.
                problems.append("\(file):\(index + 1): not a 40-character Z85 public key (line not shown)")
                continue
            }
            let name = words.dropFirst().first.flatMap { $0.hasPrefix("#") ? nil : String($0) }
            keys[key] = name ?? defaultName ?? String(first.prefix(8))
        }
    }
}
