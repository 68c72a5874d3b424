import Foundation

/// The part of `ftfy.fix_text` (ftfy 6, default settings) that is fixed rules rather
/// than heuristics, in ftfy's order and, like ftfy, repeated until nothing changes:
///
/// | ftfy step | here |
/// | --- | --- |
/// | `unescape_html` (ftfy's own, skipped when the text has a `<`) | **not reproduced** |
/// | `fix_encoding` (mojibake detection: "cafÃ©" → "café") | **not reproduced** |
/// | `fix_c1_controls` (U+80–U+9F as Windows-1252) | yes |
/// | `fix_latin_ligatures`, `fix_character_width` | yes (ftfy's tables) |
/// | `uncurl_quotes` (‘ ’ “ ” → ' ") | yes |
/// | `fix_line_breaks`, `remove_terminal_escapes`, `remove_control_chars` | yes |
/// | `fix_surrogates` | nothing to do: a Swift string holds no lone surrogates |
/// | NFC normalisation | yes (Foundation's, whose Unicode version may differ) |
///
/// What the two missing steps change: mojibake stays as it is ("cafÃ©" is tokenized as
/// written, where diffusers would see "café"), and ftfy's extra HTML pass is missing, so
/// text escaped three times ("&amp;amp;lt;") keeps one level ("&lt;") and ftfy's
/// all-caps names ("&EACUTE;") stay literal. Both need text that was damaged before
/// it became a prompt; `PromptCleanerTests` pins these differences down.
public enum FTFYSubset {
    /// ftfy's fixed-rule fixes, repeated to a fixed point as `fix_text` does.
    public static func fixText(_ text: String) -> String {
        var current = Array(text.unicodeScalars)
        for _ in 0 ..< 16 {
            let next = pass(current)
            // Scalar-wise: Swift's String `==` would call canonically equivalent texts equal.
            if next == current { break }
            current = next
        }
        return String(String.UnicodeScalarView(current))
    }

    static func pass(_ input: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var s = input
        s = s.flatMap { c -> [Unicode.Scalar] in
            (0x80 ... 0x9F).contains(c.value) ? Array(HTMLEntities.invalidCharrefs[c.value]!.unicodeScalars) : [c]
        }
        s = translate(s, FTFYTables.ligatures)
        s = translate(s, FTFYTables.widths)
        s = s.map(uncurl)
        s = fixLineBreaks(s)
        s = removeTerminalEscapes(s)
        s = translate(s, FTFYTables.controls)
        return Array(String(String.UnicodeScalarView(s)).precomposedStringWithCanonicalMapping.unicodeScalars)
    }

    static func translate(_ s: [Unicode.Scalar], _ table: [UInt32: String]) -> [Unicode.Scalar] {
        var out = [Unicode.Scalar]()
        out.reserveCapacity(s.count)
        for c in s {
            if let replacement = table[c.value] { out.append(contentsOf: replacement.unicodeScalars) } else { out.append(c) }
        }
        return out
    }

    /// `[ʼ‘-‛]` → `'` and `[“-‟]` → `"`.
    static func uncurl(_ c: Unicode.Scalar) -> Unicode.Scalar {
        switch c.value {
        case 0x2BC, 0x2018 ... 0x201B: "'"
        case 0x201C ... 0x201F: "\""
        default: c
        }
    }

    /// CRLF, CR, U+2028, U+2029 and NEL each become `\n`.
    static func fixLineBreaks(_ s: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var out = [Unicode.Scalar]()
        var i = 0
        while i < s.count {
            switch s[i].value {
            case 0x0D:
                out.append("\n")
                if i + 1 < s.count, s[i + 1] == "\n" { i += 1 }
            case 0x2028, 0x2029, 0x85: out.append("\n")
            default: out.append(s[i])
            }
            i += 1
        }
        return out
    }

    /// Drops `ESC [ (digit|;)* letter`, ftfy's pattern for ANSI escapes.
    static func removeTerminalEscapes(_ s: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var out = [Unicode.Scalar]()
        var i = 0
        while i < s.count {
            if s[i] == "\u{1B}", i + 1 < s.count, s[i + 1] == "[" {
                var j = i + 2
                while j < s.count, ("0" ... "9").contains(s[j]) || s[j] == ";" { j += 1 }
                if j < s.count, ("a" ... "z").contains(s[j]) || ("A" ... "Z").contains(s[j]) {
                    i = j + 1
                    continue
                }
            }
            out.append(s[i])
            i += 1
        }
        return out
    }
}
