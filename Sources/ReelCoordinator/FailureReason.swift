import ReelWire

/// Why a work item failed, as the `reason` label of `reel_failures_total`: a fixed
/// set, so the series stay few however many messages workers send.
public enum FailureReason: String, Sendable, CaseIterable {
    case outOfMemory = "out_of_memory"
    case invalidInput = "invalid_input"
    case nonFiniteOutput = "non_finite_output"
    case modelNotFound = "model_not_found"
    case cancelled
    case missingEmbeddings = "missing_embeddings"
    case workerInternal = "worker_internal"
    case workerOther = "worker_other"
    /// A lease ran out while its worker was alive (stuck or too slow).
    case leaseExpired = "lease_expired"
    /// The worker disconnected, left, or no longer had the item.
    case workerLost = "worker_lost"
    /// The result failed its checks (checksum, shape, finiteness).
    case invalidResult = "invalid_result"

    /// The label for a failure a worker reported.
    init(_ failureClass: Reel_V1_FailureClass) {
        switch failureClass {
        case .outOfMemory: self = .outOfMemory
        case .invalidInput: self = .invalidInput
        case .nonFiniteOutput: self = .nonFiniteOutput
        case .modelNotFound: self = .modelNotFound
        case .cancelled: self = .cancelled
        case .missingEmbeddings: self = .missingEmbeddings
        case .internal: self = .workerInternal
        default: self = .workerOther
        }
    }
}
