import Foundation
import Testing
import ReelModel
import ReelText

/// ReelText's tokenizer and prompt cleaning against transformers' tokenizer for the
/// fixture folder (what `AutoTokenizer` gives, as WanPipeline loads it) and diffusers'
/// `prompt_clean`, on prompts with accents, CJK, emoji, whitespace runs, HTML entities,
/// special tokens written out, and one far over 512 tokens.
@Suite struct UMT5TokenizerTests {
    static func tokenizer() throws -> UMT5Tokenizer {
        try UMT5Tokenizer(folder: UMT5Fixture.root)
    }

    @Test func idsEqualTransformers() throws {
        let reference = try TokenReference.load()
        #expect(reference.cases.count >= 15)
        let tokenizer = try Self.tokenizer()
        for c in reference.cases {
            let cleaned = PromptCleaner.clean(c.prompt)
            #expect(cleaned == c.cleaned, "cleaning \(c.prompt.prefix(40))")
            let ours = try tokenizer.tokenize(cleaned)
            #expect(ours.length == c.length)
            #expect(Array(ours.ids.prefix(ours.length)) == c.ids, "ids of \(c.cleaned.prefix(40))")
            #expect(ours.ids.count == 512)
            #expect(ours.ids[ours.length...].allSatisfy { $0 == tokenizer.padID })
            #expect(ours.attentionMask == (0 ..< 512).map { $0 < c.length ? 1 : 0 })
            // Truncation keeps 511 pieces and </s>, and says how many it dropped.
            #expect(ours.truncatedPieces == max(0, c.untruncated_length - 512))
        }
        #expect(reference.cases.contains { $0.untruncated_length > 512 })
    }

    @Test func htmlUnescapeFollowsPython() {
        // Expected values are Python 3.11's html.unescape on the same strings.
        #expect(HTMLUnescape.unescape("&amp;lt; &lt &ltx &notit; &#65;&#x42;&#0; &#x110000; &#128; &bogus; &") == "&lt; < <x ¬it; AB\u{FFFD} \u{FFFD} € &bogus; &")
        #expect(PromptCleaner.clean("&amp;lt;b&amp;gt; x") == "<b> x")
    }

    @Test func whitespaceIsPythons() {
        // diffusers' value: `regex`'s \s keeps U+1C inside, `str.strip()` would remove it at the ends.
        #expect(PromptCleaner.whitespaceClean(" a\u{1C}b\u{85}c\u{3000}d\r\ne \u{200B}f ") == "a\u{1C}b c d e \u{200B}f")
        #expect(PromptCleaner.whitespaceClean("\u{1C} a \u{1C}") == "a")
    }

    /// The ftfy steps Reel does not reproduce, pinned down (expected values: ftfy 6.3's
    /// `fix_text` gives the second string; Reel keeps the first).
    @Test func ftfyDifferencesAreTheNamedOnes() {
        #expect(PromptCleaner.clean("cafÃ© au lait") == "cafÃ© au lait")  // ftfy: "café au lait"
        #expect(PromptCleaner.clean("&amp;amp;amp;") == "&amp;")  // ftfy unescapes once more: "&"
        // The fixed-rule fixes are reproduced:
        #expect(PromptCleaner.clean("\u{201C}ﬁne\u{201D} ＡＢＣ\u{1B}[31mred\u{1B}[0m e\u{301}") == "\"fine\" ABCred é")
    }

    @Test func invalidUTF8IsRefused() {
        #expect(throws: TextError.invalidUTF8(what: "the prompt", offset: 3)) {
            try UMT5Tokenizer.decodeUTF8([0x61, 0xC3, 0xA9, 0xFF, 0x62], what: "the prompt")
        }
        #expect((try? UMT5Tokenizer.decodeUTF8(Array("é雪🐱".utf8), what: "x")) == "é雪🐱")
    }

    @Test func missingTokenizerIsNamed() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("reel-no-tok-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder + "/tokenizer", withIntermediateDirectories: true)
        try Data("{}".utf8).write(to: URL(fileURLWithPath: folder + "/tokenizer/tokenizer.json"))
        #expect {
            _ = try UMT5Tokenizer(folder: folder)
        } throws: { error in
            guard case let TextError.missingTokenizer(path, hint) = error else { return false }
            return path.hasSuffix("tokenizer/spiece.model") && hint.contains("tokenizer.json but not spiece.model")
        }
        try Data("not a model".utf8).write(to: URL(fileURLWithPath: folder + "/tokenizer/spiece.model"))
        #expect {
            _ = try UMT5Tokenizer(folder: folder)
        } throws: { error in
            if case TextError.unreadableModel = error { return true }
            return false
        }
    }
}

/// Bad folders and prompts for `encode-text`, each refused with a message that names it.
@Suite struct UMT5BadInputTests {
    @Test func emptyPromptIsRefusedButEmptyNegativeIsNot() throws {
        let folder = try TextEncoderFolder(path: try UMT5Fixture(name: "fp32_tiny").assembledFolder())
        let model = try folder.load()
        #expect(throws: ModelError.text(.emptyPrompt(what: "the prompt"))) {
            _ = try model.encodePrompt(" \t&#32; ", tokenizer: folder.tokenizer)
        }
        let negative = try model.encodePrompt("", tokenizer: folder.tokenizer, allowEmpty: true)
        #expect(negative.tokens.length == 1)  // </s> alone, as WanPipeline's default negative prompt
    }

    @Test func vocabularyLargerThanEmbeddingIsRefused() throws {
        let path = try UMT5Fixture(name: "fp32_tiny").assembledFolder()
        try editConfig(path) { $0["vocab_size"] = 100 }
        #expect {
            _ = try TextEncoderFolder(path: path)
        } throws: { error in
            guard case let ModelError.text(.tokenizerMismatch(_, reason)) = error else { return false }
            print(error)
            return reason.contains("245 pieces") && reason.contains("100 rows")
        }
    }

    @Test func mismatchedSpecialIdsAreRefused() throws {
        let path = try UMT5Fixture(name: "fp32_tiny").assembledFolder()
        try editConfig(path) { $0["eos_token_id"] = 2 }
        #expect {
            _ = try TextEncoderFolder(path: path)
        } throws: { error in
            guard case let ModelError.text(.tokenizerMismatch(_, reason)) = error else { return false }
            return reason.contains("0/1") && reason.contains("0/2")
        }
    }

    @Test func embeddingRowsDifferentFromConfigAreNamed() throws {
        let path = try UMT5Fixture(name: "fp32_tiny").assembledFolder()
        try editConfig(path) { $0["vocab_size"] = 300 }
        let folder = try TextEncoderFolder(path: path)
        #expect {
            _ = try folder.load()
        } throws: { error in
            guard case let ModelError.tensorShape(name, expected, actual, _) = error else { return false }
            return name == "shared.weight" && expected == [300, 64] && actual == [245, 64]
        }
    }

    @Test func t5ConfigIsRefused() throws {
        let path = try UMT5Fixture(name: "fp32_tiny").assembledFolder()
        try editConfig(path) { $0["model_type"] = "t5" }
        #expect(throws: ModelError.unsupportedOption(
            path: path + "/text_encoder/config.json", key: "model_type", value: "t5", supported: "expected umt5 (UMT5EncoderModel)")) {
            _ = try TextEncoderFolder(path: path)
        }
    }

    private func editConfig(_ folder: String, _ edit: (inout [String: Any]) -> Void) throws {
        let url = URL(fileURLWithPath: folder + "/text_encoder/config.json")
        var object = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        edit(&object)
        try JSONSerialization.data(withJSONObject: object).write(to: url)
    }
}

/// Added tokens from `tokenizer.json` (umT5 lists its sentinels there) are split out of the text.
@Suite struct UMT5AddedTokenTests {
    @Test func addedTokensFromTokenizerJSONAreSplitOut() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("reel-added-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: UMT5Fixture.tokenizerDirectory, toPath: folder + "/tokenizer")
        let url = URL(fileURLWithPath: folder + "/tokenizer/tokenizer.json")
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        var added = json["added_tokens"] as! [[String: Any]]
        added.append(["id": 245, "content": "<extra_id_0>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true])
        json["added_tokens"] = added
        try JSONSerialization.data(withJSONObject: json).write(to: url)
        let tokenizer = try UMT5Tokenizer(folder: folder)
        // transformers 5.24's AutoTokenizer on the same folder gives these ids.
        let ours = try tokenizer.tokenize("a fox<extra_id_0> snow </s>x")
        #expect(Array(ours.ids.prefix(ours.length)) == [6, 8, 245, 16, 1, 4, 29, 1])
        #expect(Array(try tokenizer.tokenize("a fox snow").ids.prefix(4)) == [6, 8, 16, 1])

        // With the fixture's encoder (245 embedding rows) id 245 has no row: refused by name.
        try FileManager.default.copyItem(atPath: UMT5Fixture.root + "/fp32_tiny/model/text_encoder", toPath: folder + "/text_encoder")
        #expect {
            _ = try TextEncoderFolder(path: folder)
        } throws: { error in
            guard case let ModelError.text(.tokenizerMismatch(_, reason)) = error else { return false }
            return reason.contains("'<extra_id_0>' has id 245") && reason.contains("245 embedding rows")
        }
    }
}
