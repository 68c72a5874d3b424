/// Why the coordinator could not start or continue a job.
public enum CoordinatorError: Error, CustomStringConvertible, Sendable {
    case storedJob(id: Int64, reason: String)

    public var description: String {
        switch self {
        case .storedJob(let id, let reason):
            return "job \(id) in the database cannot be resumed: \(reason)"
        }
    }
}
