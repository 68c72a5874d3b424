import Foundation

extension CoordinatorHTTPServer {
    /// The media type of a stored result: `image/png` for a still (its file starts
    /// with the PNG signature), `video/mp4` otherwise. Read from the file rather
    /// than the job, so the route needs no second question to the loop.
    static func resultType(_ path: String) -> String {
        guard let file = FileHandle(forReadingAtPath: path) else { return "video/mp4" }
        defer { try? file.close() }
        let head = (try? file.read(upToCount: 8)) ?? Data()
        return head.elementsEqual(pngSignature) ? "image/png" : "video/mp4"
    }

    /// The 8 bytes every PNG file starts with.
    static let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
}
