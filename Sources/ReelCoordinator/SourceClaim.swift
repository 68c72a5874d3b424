/// A source encoding the database leased to a worker.
struct SourceClaim: Sendable, Equatable {
    var job: Int64
    var encoding: Int
    var attempt: Int
    var sourceSHA: String
    /// The row's latents cache key, as admission computed it (nil: not read).
    var cacheKey: String? = nil
}
