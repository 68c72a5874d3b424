import Foundation
import HTTPTypes
import Hummingbird

extension CoordinatorHTTPServer {
    /// A file on disk as the answer to `request`, honouring its `Range` header
    /// (``ByteRange``): 200 with `Accept-Ranges: bytes`, 206 with `Content-Range`,
    /// or 416. The body is streamed from the file in chunks, so a long video is
    /// never held in memory.
    static func file(at path: String, contentType: String, request: Request, context: BasicRequestContext) async throws -> Response {
        guard let length = (try? URL(fileURLWithPath: path).resourceValues(forKeys: [.fileSizeKey]))?.fileSize else {
            return error(.gone("the file for this answer is gone (\(URL(fileURLWithPath: path).lastPathComponent)); it may have just been deleted under the retention policy"))
        }
        let range = ByteRange(header: request.headers[.range], length: length)
        var headers: HTTPFields = [.contentType: contentType, .acceptRanges: "bytes"]
        if let contentRange = range.contentRange(length: length) { headers[.contentRange] = contentRange }
        switch range {
        case .whole:
            return Response(status: .ok, headers: headers, body: try await FileIO().loadFile(path: path, context: context))
        case .partial(let bytes):
            return Response(status: .partialContent, headers: headers, body: try await FileIO().loadFile(path: path, range: bytes, context: context))
        case .unsatisfiable:
            // The JSON error shape, as every other failure; the header says the length.
            let message = "the range '\(request.headers[.range]?.prefix(100) ?? "")' is outside the \(length) bytes; ask for bytes=0-\(max(0, length - 1)) or less"
            var answer = json(FarmAPI.ErrorBody(error: message), status: .rangeNotSatisfiable)
            answer.headers[.contentRange] = "bytes */\(length)"
            answer.headers[.acceptRanges] = "bytes"
            return answer
        }
    }
}
