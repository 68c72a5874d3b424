import ReelStore

extension Coordinator {
    /// `description` with its extend source's blob path filled in, off the loop; the
    /// source was uploaded under its digest (`PUT /v1/sources`) before the job was admitted.
    static func resolveExtendSource(_ description: VideoDescription, blobs: BlobStore) throws -> VideoDescription {
        guard var extend = description.extend else { return description }
        extend.sourcePath = try blobs.path(of: extend.join.digest).path
        var resolved = description
        resolved.extend = extend
        return resolved
    }
}
