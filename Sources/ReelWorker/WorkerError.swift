import ReelModel

/// Why a worker could not produce a shard's output. The class travels to the
/// coordinator (`ShardFailure.reason`), which retries what another attempt may fix.
public struct WorkerError: Error, CustomStringConvertible, Sendable {
    /// What went wrong, as the wire protocol classifies it.
    public enum Kind: String, Sendable {
        case outOfMemory = "out of memory"
        case invalidInput = "invalid input"
        case nonFiniteOutput = "non-finite output"
        case modelNotFound = "model not found"
        case internalError = "internal"
        case cancelled
        /// The assignment names prompt embeddings this worker no longer holds.
        case missingEmbeddings = "missing prompt embeddings"
    }

    public let kind: Kind
    /// A sentence naming the value, tensor or file involved.
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    /// A model error, classed by whether the input or the model (or its files) is at fault.
    init(_ error: ModelError) {
        switch error {
        case .inputShape: self.init(.invalidInput, error.description)
        case .missingFolder, .missingFile: self.init(.modelNotFound, error.description)
        case .cancelled: self.init(.cancelled, error.description)
        default: self.init(.internalError, error.description)
        }
    }

    public var description: String { "\(kind.rawValue): \(message)" }
}
