/// Why a prompt could not be tokenized. Each case names the file or the prompt
/// and what was expected.
public enum TextError: Error, Equatable, CustomStringConvertible {
    /// The folder has no tokenizer where one was expected.
    case missingTokenizer(path: String, hint: String)
    /// libsentencepiece could not read the model file.
    case unreadableModel(path: String, reason: String)
    /// The tokenizer does not fit the model it comes with (special ids, vocabulary).
    case tokenizerMismatch(path: String, reason: String)
    /// A prompt's bytes are not UTF-8; `offset` is the first bad byte.
    case invalidUTF8(what: String, offset: Int)
    /// A prompt that is empty once cleaned, where the pipeline needs text.
    case emptyPrompt(what: String)
    /// libsentencepiece refused to encode a prompt.
    case encodingFailed(what: String, reason: String)

    public var description: String {
        switch self {
        case let .missingTokenizer(path, hint):
            "no tokenizer at '\(path)': \(hint)"
        case let .unreadableModel(path, reason):
            "'\(path)' is not a SentencePiece model libsentencepiece can read: \(reason)"
        case let .tokenizerMismatch(path, reason):
            "the tokenizer '\(path)' does not fit this model: \(reason)"
        case let .invalidUTF8(what, offset):
            "\(what) is not valid UTF-8 (first bad byte at offset \(offset)); pass the text in UTF-8"
        case let .emptyPrompt(what):
            "\(what) is empty after WanPipeline's cleaning (whitespace and HTML entities removed); give some text"
        case let .encodingFailed(what, reason):
            "SentencePiece could not encode \(what): \(reason)"
        }
    }
}
