import Foundation

/// One prompt as token ids, the way `tokenizer(prompt, padding="max_length",
/// max_length=512, truncation=True, add_special_tokens=True,
/// return_attention_mask=True)` gives them for Wan's `tokenizer/` folder.
public struct TokenizedPrompt: Sendable, Equatable {
    /// `input_ids`: the prompt's pieces, `</s>`, then `<pad>` up to the padded length.
    public let ids: [Int32]
    /// Real tokens, `</s>` included: `attention_mask.sum()`, the pipeline's `seq_len`.
    public let length: Int
    /// Pieces cut off to fit (0 when the prompt fitted); ``UMT5Tokenizer`` callers warn.
    public let truncatedPieces: Int

    /// `attention_mask`: 1 for the first ``length`` positions, 0 after.
    public var attentionMask: [Int32] { (0 ..< ids.count).map { $0 < length ? 1 : 0 } }
}

/// umT5's tokenizer: libsentencepiece on `tokenizer/spiece.model`, plus what
/// transformers' `T5Tokenizer`/`T5TokenizerFast` add around it — the literal special
/// tokens split out of the text, `</s>` appended, truncation that keeps room for it,
/// and padding with `<pad>`.
public final class UMT5Tokenizer: Sendable {
    /// `max_sequence_length` in WanPipeline: every prompt is padded or cut to this.
    public static let maxLength = 512

    public let model: SentencePieceModel
    /// `<pad>` (0 for T5) and `</s>` (1 for T5).
    public let padID: Int32, eosID: Int32
    /// Literal texts that transformers' tokenizer turns into one id without running
    /// SentencePiece over them: `tokenizer.json`'s `added_tokens` when the folder has
    /// one (umT5's lists its special and sentinel tokens there), else `<pad>`, `</s>`,
    /// `<unk>`. Longest first, so one that begins another does not cut it short.
    public let specials: [(text: [UInt8], id: Int32)]

    /// Opens `DIR/tokenizer/spiece.model` of a diffusers folder (DIR).
    public convenience init(folder: String) throws(TextError) {
        let directory = (folder as NSString).appendingPathComponent("tokenizer")
        let path = (directory as NSString).appendingPathComponent("spiece.model")
        guard FileManager.default.fileExists(atPath: path) else {
            let hint =
                FileManager.default.fileExists(atPath: (directory as NSString).appendingPathComponent("tokenizer.json"))
                ? "the folder has tokenizer.json but not spiece.model, which Reel reads with libsentencepiece; copy spiece.model from the model's release"
                : "a Wan diffusers folder has tokenizer/spiece.model beside text_encoder/"
            throw .missingTokenizer(path: path, hint: hint)
        }
        let json = (directory as NSString).appendingPathComponent("tokenizer.json")
        let added = FileManager.default.fileExists(atPath: json) ? try Self.addedTokens(json) : nil
        try self.init(model: try SentencePieceModel(path: path), addedTokens: added)
    }

    /// `added_tokens` of a tokenizers-library `tokenizer.json`: `[{"id": N, "content": "…"}, …]`.
    static func addedTokens(_ path: String) throws(TextError) -> [(text: [UInt8], id: Int32)] {
        let object: Any?
        do { object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) } catch {
            throw .tokenizerMismatch(path: path, reason: "it is not readable JSON (\((error as NSError).localizedDescription))")
        }
        guard let root = object as? [String: Any] else { throw .tokenizerMismatch(path: path, reason: "it is not a JSON object") }
        guard let list = root["added_tokens"] else { return [] }
        guard let entries = list as? [[String: Any]] else { throw .tokenizerMismatch(path: path, reason: "added_tokens is not a list of objects") }
        var out = [(text: [UInt8], id: Int32)]()
        for entry in entries {
            guard let content = entry["content"] as? String, !content.isEmpty, let id = (entry["id"] as? NSNumber)?.int32Value, id >= 0 else {
                throw .tokenizerMismatch(path: path, reason: "an added_tokens entry lacks a non-empty content or an id ≥ 0: \(entry)")
            }
            out.append((Array(content.utf8), id))
        }
        return out
    }

    /// Wraps an opened model; checks it has the `<pad>` and `</s>` ids T5 needs.
    /// `addedTokens` (see ``specials``) default to the model's `<pad>`, `</s>` and `<unk>`.
    public init(model: SentencePieceModel, addedTokens: [(text: [UInt8], id: Int32)]? = nil) throws(TextError) {
        guard let pad = model.padID, let eos = model.eosID else {
            throw .tokenizerMismatch(
                path: model.path,
                reason: "it has no \(model.padID == nil ? "<pad>" : "</s>") piece; T5 tokenizers are trained with pad_id 0 and eos_id 1")
        }
        self.model = model
        padID = pad
        eosID = eos
        var specials = [(text: [UInt8], id: Int32)]()
        for id in [pad, eos, model.unkID].compactMap({ $0 }) {
            if let piece = model.piece(id) { specials.append((Array(piece.utf8), id)) }
        }
        self.specials = (addedTokens ?? specials).sorted { $0.text.count > $1.text.count }
    }

    /// Tokenizes already-cleaned `text` (see ``PromptCleaner``) to `maxLength` ids.
    /// `what` names the prompt in errors ("the prompt", "the negative prompt").
    public func tokenize(_ text: String, maxLength: Int = UMT5Tokenizer.maxLength, what: String = "the prompt") throws(TextError)
        -> TokenizedPrompt
    {
        precondition(maxLength >= 1, "maxLength must leave room for </s>")
        var pieces = try pieces(of: text, what: what)
        let room = maxLength - 1  // truncation keeps a place for </s>
        let truncated = max(0, pieces.count - room)
        if truncated > 0 { pieces.removeLast(truncated) }
        pieces.append(eosID)
        let length = pieces.count
        pieces.append(contentsOf: repeatElement(padID, count: maxLength - length))
        return TokenizedPrompt(ids: pieces, length: length, truncatedPieces: truncated)
    }

    /// The ids of `text` before `</s>`: SentencePiece over the stretches between literal
    /// added tokens, each of which becomes its id, as transformers splits them out.
    public func pieces(of text: String, what: String = "the prompt") throws(TextError) -> [Int32] {
        let bytes = Array(text.utf8)
        var ids = [Int32]()
        var start = 0, i = 0
        while i < bytes.count {
            if let special = specials.first(where: { $0.text.first == bytes[i] && bytes[i...].starts(with: $0.text) }) {
                if start < i { ids += try model.encode(String(decoding: bytes[start ..< i], as: UTF8.self), what: what) }
                ids.append(special.id)
                i += special.text.count
                start = i
            } else {
                i += 1
            }
        }
        if start < bytes.count || ids.isEmpty && start == 0 {
            ids += try model.encode(String(decoding: bytes[start...], as: UTF8.self), what: what)
        }
        return ids
    }

    /// Checks raw bytes (a file, an argument) are UTF-8 before they become a prompt.
    public static func decodeUTF8(_ bytes: [UInt8], what: String) throws(TextError) -> String {
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        var offset = 0
        while true {
            switch decoder.decode(&iterator) {
            case let .scalarValue(scalar): offset += UTF8.width(scalar)
            case .emptyInput: return String(decoding: bytes, as: UTF8.self)
            case .error: throw .invalidUTF8(what: what, offset: offset)
            }
        }
    }
}
