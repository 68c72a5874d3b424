#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Synchronization

/// An exclusive hold on a data directory: `flock` on `<directory>/coordinator.lock`,
/// kept until ``release()`` (or deinit), and dropped by the kernel when the process
/// dies, however it dies.
///
/// A coordinator takes it before it touches its database, so there is one
/// coordinator per data directory. Holding it is also the proof that lets
/// ``EmbeddedPostgres/start(owner:)`` adopt a server left running on the
/// directory's cluster: whoever started that server held the lock, and no longer
/// does, so it is dead. The file holds the holder's pid, for the refusal; it is
/// never deleted (a deleted lock file lets two processes lock two different files).
public final class DataDirectoryLock: Sendable {
    /// The directory held.
    public let directory: URL
    /// `<directory>/coordinator.lock`.
    public var path: String { directory.appendingPathComponent(Self.fileName).path }
    /// The lock file's descriptor, -1 once released.
    private let descriptor: Mutex<Int32>

    /// The lock file's name in the data directory.
    public static let fileName = "coordinator.lock"

    /// Takes the lock on `directory` (created if needed) without waiting.
    ///
    /// - Throws: ``StoreError/dataDirectoryInUse(directory:pid:)`` when another
    ///   process holds it, naming that process; ``StoreError/fileSystem(path:reason:)``
    ///   when the file cannot be made or locked at all.
    public init(directory: URL) throws(StoreError) {
        let directory = directory.standardizedFileURL
        self.directory = directory
        let path = directory.appendingPathComponent(Self.fileName).path
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw .fileSystem(path: directory.path, reason: "cannot create: \(error.localizedDescription)")
        }
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw .fileSystem(path: path, reason: "cannot open the lock file: \(String(cString: strerror(errno)))")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let failure = errno
            let holder = Self.readPID(fd)
            close(fd)
            if failure == EWOULDBLOCK { throw .dataDirectoryInUse(directory: directory.path, pid: holder) }
            throw .fileSystem(path: path, reason: "cannot lock: \(String(cString: strerror(failure)))")
        }
        // Ours now: say who holds it (a failed write only loses the pid from a refusal).
        let text = Array("\(getpid())\n".utf8)
        if ftruncate(fd, 0) == 0 { _ = text.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) } }
        descriptor = Mutex(fd)
    }

    deinit { release() }

    /// Lets the directory go (idempotent). Release it only after stopping what it
    /// guards: until then another coordinator must not adopt that server.
    public func release() {
        let fd = descriptor.withLock { fd in
            let was = fd
            fd = -1
            return was
        }
        if fd >= 0 { close(fd) }
    }

    /// The pid the holder wrote, if it has written one yet.
    private static func readPID(_ fd: Int32) -> Int32? {
        var bytes = [UInt8](repeating: 0, count: 32)
        let count = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return nil }
        let text = String(decoding: bytes[..<count], as: UTF8.self)
        return text.split(separator: "\n").first.flatMap { Int32($0.trimmingCharacters(in: .whitespaces)) }
    }
}
