/// Why the coordinator could not start or continue a job.
public enum CoordinatorError: Error, CustomStringConvertible, Sendable {
    case corruptBlob(sha: String, bytes: Int)
    case storedJob(id: Int64, reason: String)

    public var description: String {
        switch self {
        case .corruptBlob(let sha, let bytes):
            return "stored tensor \(sha) has \(bytes) bytes, not a whole number of float32 values"
        case .storedJob(let id, let reason):
            return "job \(id) in the database cannot be resumed: \(reason)"
        }
    }
}
