import Foundation
import HTTPTypes
import Hummingbird

/// Preview stills of a job's finished segments (read scope, as every `GET`):
///
/// | route | answer |
/// |---|---|
/// | `GET /v1/jobs/:id/previews` | `[Preview]`, in segment order, as segments finish |
/// | `GET /v1/jobs/:id/previews/:chunk` | the segment's JPEG (`Range` honoured) |
extension CoordinatorHTTPServer {
    static func addPreviews(to router: Router<BasicRequestContext>, mailbox: CoordinatorMailbox) {
        router.get("/v1/jobs/:id/previews") { _, context in
            guard let id = context.parameters.get("id", as: Int64.self) else { return badID(context) }
            return answer(await mailbox.send(.previews(id)))
        }
        router.get("/v1/jobs/:id/previews/:chunk") { request, context in
            guard let id = context.parameters.get("id", as: Int64.self) else { return badID(context) }
            guard let chunk = context.parameters.get("chunk", as: Int.self), chunk >= 0 else {
                return error(.badRequest("segment '\(context.parameters.get("chunk") ?? "")' is not a number; GET /v1/jobs/\(id)/previews lists them"))
            }
            switch await mailbox.send(.preview(id, chunk: chunk)) {
            case .success(.file(let path)):
                var response = try await file(at: path, contentType: "image/jpeg", request: request, context: context)
                // Content-addressed: the bytes behind this URL change only if the segment is redone.
                response.headers[.cacheControl] = "private, max-age=60"
                return response
            case .success: return error(.internalError("unexpected reply"))
            case .failure(let failure): return error(failure)
            }
        }
    }
}
