import Foundation
import ReelStore
import Testing

/// One holder per data directory: a second lock on it is refused naming the
/// holder's pid, and the directory is free again once released.
@Suite struct DataDirectoryLockTests {
    @Test func aSecondLockIsRefusedNamingTheHolderUntilTheFirstIsReleased() throws {
        let directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("reel-lock-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: directory) }
        let first = try DataDirectoryLock(directory: directory)
        do throws(StoreError) {
            _ = try DataDirectoryLock(directory: directory)
            Issue.record("two locks on one data directory")
        } catch {
            #expect(error == .dataDirectoryInUse(directory: directory.path, pid: getpid()))
            #expect("\(error)".contains("'\(directory.path)' is in use by another coordinator (pid \(getpid())"), "\(error)")
        }
        // Another directory is independent.
        let other = try DataDirectoryLock(directory: directory.appendingPathComponent("nested"))
        other.release()
        first.release()
        first.release()
        let again = try DataDirectoryLock(directory: directory)
        #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent("coordinator.lock").path))
        again.release()
    }
}
