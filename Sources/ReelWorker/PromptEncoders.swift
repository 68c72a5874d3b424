import Foundation
import ReelModel
import ReelTensor

/// The umT5 text encoders a worker has loaded, one per model digest: the encoder
/// is large (umT5-XXL is 11 GB in bf16), so it is loaded on the first prompt of a
/// model and kept for the next ones, and two folders with the same checkpoint
/// share one.
final class PromptEncoders: @unchecked Sendable {
    struct Loaded: Sendable {
        var folder: TextEncoderFolder
        var model: UMT5EncoderModel
    }

    private let lock = NSLock()
    /// Serializes loads, so two prompts of a model that is not loaded yet load it once.
    private let loading = NSLock()
    private var loaded: [String: Loaded] = [:]

    /// Whether the encoder under `key` is in memory.
    func isLoaded(_ key: String) -> Bool { lock.withLock { loaded[key] != nil } }

    /// The encoder under `key`, loaded from `path` on first use; `loadedNow` says
    /// whether this call loaded it, and how long that took.
    func encoder(key: String, path: String) throws(ModelError) -> (Loaded, loadedNow: Duration?) {
        if let hit = lock.withLock({ loaded[key] }) { return (hit, nil) }
        loading.lock()
        defer { loading.unlock() }
        if let hit = lock.withLock({ loaded[key] }) { return (hit, nil) }
        let started = ContinuousClock.now
        let folder = try TextEncoderFolder(path: path)
        // As stored, like `reel model encode-text`'s default, so both give the same bits.
        let entry = Loaded(folder: folder, model: try folder.load(storage: .asStored))
        lock.withLock { loaded[key] = entry }
        return (entry, ContinuousClock.now - started)
    }
}

/// A job's prompt (and negative prompt) to encode as WanPipeline.encode_prompt does.
public struct PromptTask: Sendable {
    public var model: String
    public var prompt: String
    /// `nil`: no negative prompt (no guidance); `""` encodes `</s>` alone.
    public var negativePrompt: String?
    /// Rows of each embedding (512 for Wan).
    public var maxTokens: Int
    /// The text width the transformer reads; the encoder's must match.
    public var textDim: Int
    /// A prompt timeline's later prompts, each encoded alone exactly as `prompt` is.
    public var laterPrompts: [String]

    public init(model: String, prompt: String, negativePrompt: String?, maxTokens: Int, textDim: Int, laterPrompts: [String] = []) {
        self.model = model
        self.prompt = prompt
        self.negativePrompt = negativePrompt
        self.maxTokens = maxTokens
        self.textDim = textDim
        self.laterPrompts = laterPrompts
    }
}

/// Encoded prompts, `[1, maxTokens, textDim]` each.
public struct EncodedPrompts: Sendable {
    public var positive: Tensor
    public var negative: Tensor?
    /// How long loading the encoder took, when this task loaded it.
    public var loaded: Duration?
    /// Tokens of each prompt (with `</s>`), and pieces cut to fit, for the log:
    /// the prompt's, the negative prompt's (when encoded), then the later prompts'.
    public var tokens: [Int]
    public var truncated: [Int]
    /// The later prompts' embeddings, in the task's order.
    public var later: [Tensor] = []
    /// Pieces cut from each later prompt.
    public var laterTruncated: [Int] = []
}
