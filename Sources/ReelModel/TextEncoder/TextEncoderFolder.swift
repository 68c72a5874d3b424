import Foundation
import ReelTensor
import ReelText

/// The text half of a Wan diffusers folder — `tokenizer/` and `text_encoder/` —
/// and WanPipeline's `encode_prompt` over it.
///
///     DIR/tokenizer/spiece.model                 (umT5's SentencePiece model)
///     DIR/text_encoder/config.json               (UMT5EncoderModel)
///     DIR/text_encoder/model.safetensors         (or shards with model.safetensors.index.json)
public struct TextEncoderFolder: Sendable {
    /// The model folder (DIR).
    public let path: String
    public let config: UMT5Config
    public let tokenizer: UMT5Tokenizer

    /// `DIR/text_encoder`.
    public var directory: String { (path as NSString).appendingPathComponent("text_encoder") }

    /// Opens the tokenizer and the encoder's config, checking they belong together:
    /// `<pad>`/`</s>` ids equal to the config's, and no token id past the embedding.
    public init(path: String) throws(ModelError) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw .missingFolder(path: path)
        }
        self.path = path
        let configPath = ((path as NSString).appendingPathComponent("text_encoder") as NSString).appendingPathComponent("config.json")
        config = try UMT5Config.load(path: configPath)
        do { tokenizer = try UMT5Tokenizer(folder: path) } catch { throw .text(error) }
        let spm = tokenizer.model
        if Int(tokenizer.padID) != config.pad_token_id || Int(tokenizer.eosID) != config.eos_token_id {
            throw .text(.tokenizerMismatch(
                path: spm.path,
                reason: "its <pad>/</s> ids are \(tokenizer.padID)/\(tokenizer.eosID) but \(configPath) says \(config.pad_token_id)/\(config.eos_token_id)"))
        }
        // T5 checkpoints may round the embedding up (a multiple of 128); a tokenizer with
        // more pieces than rows could produce ids the embedding does not have.
        if spm.pieceCount > config.vocab_size {
            throw .text(.tokenizerMismatch(
                path: spm.path,
                reason: "it has \(spm.pieceCount) pieces but the encoder's embedding has \(config.vocab_size) rows (vocab_size in \(configPath)); is it the tokenizer of another model?"))
        }
        if let added = tokenizer.specials.max(by: { $0.id < $1.id }), Int(added.id) >= config.vocab_size {
            throw .text(.tokenizerMismatch(
                path: spm.path,
                reason: "its added token '\(String(decoding: added.text, as: UTF8.self))' has id \(added.id), past the encoder's \(config.vocab_size) embedding rows (vocab_size in \(configPath))"))
        }
    }

    /// Opens the weights (not yet read).
    public func checkpoint() throws(ModelError) -> Checkpoint {
        do { return try Checkpoint(directory: directory, baseName: "model") } catch { throw .weights(error) }
    }

    /// Loads the encoder, checking every tensor's name and shape.
    public func load(storage: UMT5WeightStorage = .asStored) throws(ModelError) -> UMT5EncoderModel {
        try UMT5EncoderModel(config: config, checkpoint: try checkpoint(), storage: storage)
    }
}

/// One prompt through WanPipeline's `_get_t5_prompt_embeds`.
public struct EncodedPrompt: Sendable {
    /// `(1, max_sequence_length, d_model)`: the encoder's output for the real tokens,
    /// zeros after them, as the pipeline pads its trimmed embeddings.
    public let embeddings: Tensor
    public let tokens: TokenizedPrompt
    /// The text after `prompt_clean` (what was tokenized).
    public let cleaned: String
}

extension UMT5EncoderModel {
    /// `_get_t5_prompt_embeds` for one prompt: `prompt_clean`, tokenize with padding and
    /// truncation to `maxLength`, encode, keep the first `seq_len` rows, zero the rest.
    /// An empty prompt is refused unless `allowEmpty` (WanPipeline's default negative
    /// prompt is "", which encodes as `</s>` alone).
    public func encodePrompt(
        _ text: String, tokenizer: UMT5Tokenizer, maxLength: Int = UMT5Tokenizer.maxLength, allowEmpty: Bool = false,
        what: String = "the prompt"
    ) throws(ModelError) -> EncodedPrompt {
        let cleaned = PromptCleaner.clean(text)
        if cleaned.isEmpty, !allowEmpty { throw .text(.emptyPrompt(what: what)) }
        let tokens: TokenizedPrompt
        do { tokens = try tokenizer.tokenize(cleaned, maxLength: maxLength, what: what) } catch { throw .text(error) }
        let hidden = try forward(ids: Array(tokens.ids.prefix(tokens.length)))
        var out = Tensor(zeros: [1, maxLength, config.d_model])
        out.storage.replaceSubrange(0 ..< hidden.count, with: hidden.storage)
        return EncodedPrompt(embeddings: out, tokens: tokens, cleaned: cleaned)
    }
}
