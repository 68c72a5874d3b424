import Foundation

extension CoordinatorClient {
    /// The job's preview stills so far, one per finished segment, in segment order.
    public func previews(_ id: Int64) async throws -> [FarmAPI.Preview] {
        try await call("GET", "/v1/jobs/\(id)/previews", as: [FarmAPI.Preview].self)
    }

    /// One segment's preview still: the JPEG's bytes.
    public func preview(_ id: Int64, chunk: Int) async throws -> Data {
        let (data, status) = try await raw("GET", "/v1/jobs/\(id)/previews/\(chunk)", body: nil)
        guard status == 200 else { throw failure(data, status) }
        return data
    }
}
