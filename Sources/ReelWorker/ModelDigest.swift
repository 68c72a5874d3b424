import Foundation
import ReelHash
import ReelModel

/// A model folder's identity beyond its name: SHA-256 over the relative path,
/// size and contents of every file under `transformer/`, `vae/` and
/// `scheduler/`, and of `reel.json` (how Reel reads the checkpoint's latents), in
/// path order. Two workers whose folders share a name but not
/// this digest hold different checkpoints (or configs), and the coordinator
/// refuses the second rather than render one clip with both. Reading a 5 GB
/// checkpoint once at start-up takes about 3 s at libcrypto's speed.
enum ModelDigest {
    static func of(folder: String) throws -> String {
        let fm = FileManager.default
        var files: [String] = []
        for part in ["transformer", "vae", "scheduler"] {
            let directory = (folder as NSString).appendingPathComponent(part)
            guard let walker = fm.enumerator(atPath: directory) else { continue }
            for case let relative as String in walker {
                var isDirectory: ObjCBool = false
                let full = (directory as NSString).appendingPathComponent(relative)
                if fm.fileExists(atPath: full, isDirectory: &isDirectory), !isDirectory.boolValue, !relative.hasPrefix(".") {
                    files.append(part + "/" + relative)
                }
            }
        }
        if fm.fileExists(atPath: (folder as NSString).appendingPathComponent(ReelFolderConfig.fileName)) {
            files.append(ReelFolderConfig.fileName)
        }
        var hasher = SHA256()
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        for relative in files.sorted() {
            let path = (folder as NSString).appendingPathComponent(relative)
            guard let handle = FileHandle(forReadingAtPath: path) else {
                throw WorkerError(.modelNotFound, "cannot read '\(path)' to identify the model")
            }
            defer { try? handle.close() }
            var size = 0
            var contents = SHA256()
            while true {
                let n = buffer.withUnsafeMutableBytes { read(handle.fileDescriptor, $0.baseAddress, $0.count) }
                guard n >= 0 else { throw WorkerError(.modelNotFound, "cannot read '\(path)': \(String(cString: strerror(errno)))") }
                if n == 0 { break }
                buffer.withUnsafeBytes { contents.update(UnsafeRawBufferPointer(rebasing: $0[0 ..< n])) }
                size += n
            }
            hasher.update(Array("\(relative)\u{0}\(size)\u{0}".utf8))
            hasher.update(contents.finalize())
        }
        return SHA256.hex(hasher.finalize())
    }
}
