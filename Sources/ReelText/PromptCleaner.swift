/// diffusers `WanPipeline`'s `prompt_clean`: `whitespace_clean(basic_clean(text))`, where
///
///     basic_clean(text)      = html.unescape(html.unescape(ftfy.fix_text(text))).strip()
///     whitespace_clean(text) = re.sub(r"\s+", " ", text).strip()
///
/// Every step but one is reproduced exactly: `\s` of the `regex` module (which diffusers
/// imports as `re`) is Unicode's White_Space (``isRegexWhitespace(_:)``), `str.strip()`
/// strips `str.isspace()` characters (``isPythonWhitespace(_:)``, four more), and ``HTMLUnescape`` is
/// `html.unescape`. The exception is `ftfy.fix_text`, a library of heuristics;
/// ``FTFYSubset`` does the parts of it that are fixed rules and says which it leaves out.
public enum PromptCleaner {
    /// `prompt_clean(text)` as Reel reproduces it (see the type's doc for ftfy).
    public static func clean(_ text: String) -> String {
        whitespaceClean(basicClean(text))
    }

    /// `basic_clean`: ftfy's fixed rules, `html.unescape` twice, `strip()`.
    public static func basicClean(_ text: String) -> String {
        strip(HTMLUnescape.unescape(HTMLUnescape.unescape(FTFYSubset.fixText(text))))
    }

    /// `whitespace_clean`: every run of `regex`'s `\s` becomes one space; then `strip()`.
    public static func whitespaceClean(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        var inRun = false
        for c in text.unicodeScalars {
            if isRegexWhitespace(c) {
                if !inRun { out.append(" ") }
                inRun = true
            } else {
                out.append(c)
                inRun = false
            }
        }
        return strip(String(out))
    }

    /// Python's `str.strip()` with no argument.
    public static func strip(_ text: String) -> String {
        let scalars = Array(text.unicodeScalars)
        guard let first = scalars.firstIndex(where: { !isPythonWhitespace($0) }),
            let last = scalars.lastIndex(where: { !isPythonWhitespace($0) })
        else { return "" }
        return String(String.UnicodeScalarView(scalars[first ... last]))
    }

    /// Whether `c` matches `\s` in the `regex` module: Unicode's White_Space property,
    /// which leaves out the information separators U+1C–U+1F that `str.isspace()` has.
    public static func isRegexWhitespace(_ c: Unicode.Scalar) -> Bool {
        !(0x1C ... 0x1F).contains(c.value) && isPythonWhitespace(c)
    }

    /// Whether `c` is whitespace to Python's `str.isspace()` (what `str.strip()` removes):
    /// the ASCII six, the information separators U+1C–U+1F, NEL, NBSP and the Unicode
    /// spaces. Swift's `Character.isWhitespace` differs (no U+1C–U+1F, and it joins
    /// "\r\n"), so the set is spelled out.
    public static func isPythonWhitespace(_ c: Unicode.Scalar) -> Bool {
        switch c.value {
        case 0x09 ... 0x0D, 0x1C ... 0x20, 0x85, 0xA0, 0x1680, 0x2000 ... 0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
            true
        default:
            false
        }
    }
}
