import CSentencePiece

/// A SentencePiece model file opened with libsentencepiece (Debian's
/// `libsentencepiece-dev`): the only place the library's pointers live.
///
/// Encoding is a `const` method of the C++ processor, safe from several threads.
public final class SentencePieceModel: @unchecked Sendable {
    /// The `.model` file this was loaded from.
    public let path: String
    private let handle: OpaquePointer

    /// Loads `path` (for umT5, `tokenizer/spiece.model`).
    public init(path: String) throws(TextError) {
        self.path = path
        var error = [CChar](repeating: 0, count: 512)
        guard let handle = reel_spm_load(path, &error, error.count) else {
            throw .unreadableModel(path: path, reason: String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        self.handle = handle
    }

    deinit { reel_spm_free(handle) }

    /// The number of pieces; ids run over `0 ..< pieceCount`.
    public var pieceCount: Int { Int(reel_spm_piece_size(handle)) }
    /// The padding id the model was trained with, or nil.
    public var padID: Int32? { Self.optional(reel_spm_pad_id(handle)) }
    /// The end-of-sequence id, or nil.
    public var eosID: Int32? { Self.optional(reel_spm_eos_id(handle)) }
    /// The unknown-piece id (every SentencePiece model has one).
    public var unkID: Int32? { Self.optional(reel_spm_unk_id(handle)) }
    /// The beginning-of-sequence id, or nil (T5 models have none).
    public var bosID: Int32? { Self.optional(reel_spm_bos_id(handle)) }

    /// The piece text of `id` (with `▁` for a word start), or nil out of range.
    public func piece(_ id: Int32) -> String? {
        var buffer = [CChar](repeating: 0, count: 256)
        let length = reel_spm_id_to_piece(handle, id, &buffer, buffer.count)
        guard length >= 0 else { return nil }
        if length >= buffer.count {
            buffer = [CChar](repeating: 0, count: Int(length) + 1)
            _ = reel_spm_id_to_piece(handle, id, &buffer, buffer.count)
        }
        return String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The ids of `text` as `SentencePieceProcessor::Encode` gives them: the model's own
    /// normaliser (NFKC, whitespace folding) and its Unigram segmentation, no specials.
    /// `what` names the text in errors.
    public func encode(_ text: String, what: String = "the text") throws(TextError) -> [Int32] {
        var utf8 = Array(text.utf8)
        var ids: UnsafeMutablePointer<Int32>?
        var count = 0
        var error = [CChar](repeating: 0, count: 512)
        let status = utf8.withUnsafeMutableBufferPointer { bytes in
            bytes.withMemoryRebound(to: CChar.self) { chars in
                reel_spm_encode(handle, chars.baseAddress, chars.count, &ids, &count, &error, error.count)
            }
        }
        guard status == 0, let ids else {
            throw .encodingFailed(what: what, reason: String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        defer { reel_spm_free_ids(ids) }
        return Array(UnsafeBufferPointer(start: ids, count: count))
    }

    private static func optional(_ id: Int32) -> Int32? { id < 0 ? nil : id }
}
