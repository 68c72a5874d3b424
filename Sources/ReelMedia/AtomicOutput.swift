import Foundation

/// A target path plus a temporary sibling that receives the bytes until `commit()`
/// renames it into place, so readers of the target never see a half-written file and a
/// failed or abandoned job leaves nothing behind.
///
/// The sibling is in the same directory (same filesystem), which is what makes
/// `rename(2)` atomic; it is hidden and named after the target so a crash leaves an
/// obvious `.name.….partial` rather than a plausible-looking output.
struct AtomicOutput {
    let target: String
    let temporary: String

    enum Kind {
        case file
        /// A directory of files (PNG sequence): the target may exist only as an empty
        /// directory, which `rename(2)` replaces; a non-empty one would mix old frames in.
        case directory
    }

    /// Checks everything about the target that can be checked without creating anything.
    /// - Throws: `MediaError.cannotWrite` explaining what is wrong with the path.
    init(target url: URL, kind: Kind = .file) throws {
        guard url.isFileURL else {
            throw MediaError.cannotWrite(path: url.absoluteString, reason: "not a file URL")
        }
        let target = url.standardizedFileURL.path
        let directory = (target as NSString).deletingLastPathComponent
        let name = (target as NSString).lastPathComponent
        guard !name.isEmpty, name != "/" else {
            throw MediaError.cannotWrite(path: target, reason: "the path has no file name")
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) else {
            throw MediaError.cannotWrite(path: target, reason: "the directory '\(directory)' does not exist")
        }
        guard isDirectory.boolValue else {
            throw MediaError.cannotWrite(path: target, reason: "'\(directory)' is not a directory")
        }
        if FileManager.default.fileExists(atPath: target, isDirectory: &isDirectory) {
            switch (kind, isDirectory.boolValue) {
            case (.file, true):
                throw MediaError.cannotWrite(path: target, reason: "a directory exists at that path")
            case (.directory, false):
                throw MediaError.cannotWrite(path: target, reason: "a file exists at that path")
            case (.directory, true):
                let contents = (try? FileManager.default.contentsOfDirectory(atPath: target)) ?? []
                guard contents.isEmpty else {
                    throw MediaError.cannotWrite(
                        path: target, reason: "the directory is not empty (\(contents.count) entries)")
                }
            case (.file, false):
                break  // replaced on commit, like any renderer overwriting its output
            }
        }
        self.target = target
        let unique = UUID().uuidString.prefix(8).lowercased()
        self.temporary = (directory as NSString).appendingPathComponent(".\(name).\(unique).partial")
    }

    /// Moves the finished temporary into place, replacing any existing target.
    func commit() throws {
        if rename(temporary, target) != 0 {
            let reason = String(cString: strerror(errno))
            discard()
            throw MediaError.cannotWrite(path: target, reason: "renaming the finished file into place failed: \(reason)")
        }
    }

    /// Removes the temporary (file or directory tree); harmless if it does not exist.
    func discard() {
        try? FileManager.default.removeItem(atPath: temporary)
    }

    /// Writes `bytes` to the temporary and commits: the whole-file case (one image).
    func write(_ bytes: UnsafeRawBufferPointer) throws {
        do {
            try Self.createFile(at: temporary, bytes: bytes, reportedAs: target)
        } catch {
            discard()
            throw error
        }
        try commit()
    }

    /// Creates `path` (which must not exist) holding `bytes`; errors name `reportedAs`,
    /// the path the caller knows about, rather than a temporary name.
    static func createFile(at path: String, bytes: UnsafeRawBufferPointer, reportedAs: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
        guard fd >= 0 else {
            throw MediaError.cannotWrite(path: reportedAs, reason: String(cString: strerror(errno)))
        }
        var offset = 0
        while offset < bytes.count {
            let n = Foundation.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                let reason = String(cString: strerror(errno))
                close(fd)
                throw MediaError.cannotWrite(path: reportedAs, reason: reason)
            }
            offset += n
        }
        if close(fd) != 0 {
            throw MediaError.cannotWrite(path: reportedAs, reason: String(cString: strerror(errno)))
        }
    }
}
