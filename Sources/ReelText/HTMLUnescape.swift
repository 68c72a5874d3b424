/// Python's `html.unescape`, reference for reference: the same pattern
/// (`&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)`), the same tables
/// (``HTMLEntities`` in TextTables.swift, generated from Python's `html` module), and the same rule for
/// names without a `;` (the longest known prefix wins, the rest stays as text).
///
/// WanPipeline unescapes every prompt twice, so "&amp;lt;" reaches the tokenizer as "<".
public enum HTMLUnescape {
    /// `html.unescape(text)`.
    public static func unescape(_ text: String) -> String {
        let scalars = Array(text.unicodeScalars)
        guard scalars.contains("&") else { return text }
        var out = String.UnicodeScalarView()
        var i = 0
        while i < scalars.count {
            guard scalars[i] == "&", let (end, replacement) = reference(scalars, at: i + 1) else {
                out.append(scalars[i])
                i += 1
                continue
            }
            out.append(contentsOf: replacement.unicodeScalars)
            i = end
        }
        return String(out)
    }

    /// The match after an `&` at `start`: where it ends and what replaces it, or nil
    /// when the pattern does not match there (the `&` then stays as text).
    static func reference(_ s: [Unicode.Scalar], at start: Int) -> (Int, String)? {
        guard start < s.count else { return nil }
        if s[start] == "#" {
            let hex = start + 1 < s.count && (s[start + 1] == "x" || s[start + 1] == "X")
            let digitsStart = hex ? start + 2 : start + 1
            var end = digitsStart
            while end < s.count, isDigit(s[end], hex: hex) { end += 1 }
            guard end > digitsStart else { return nil }
            let digits = String(String.UnicodeScalarView(s[digitsStart ..< end]))
            if end < s.count, s[end] == ";" { end += 1 }
            // Numbers past any code point (even past UInt32) all become U+FFFD.
            let number = UInt32(digits, radix: hex ? 16 : 10) ?? UInt32.max
            return (end, numeric(number))
        }
        var end = start
        while end < s.count, end - start < 32, !excludedFromName.contains(s[end]) { end += 1 }
        guard end > start else { return nil }
        if end < s.count, s[end] == ";" { end += 1 }
        let name = Array(s[start ..< end])
        return (end, named(name))
    }

    static func numeric(_ number: UInt32) -> String {
        if let mapped = HTMLEntities.invalidCharrefs[number] { return mapped }
        if (0xD800 ... 0xDFFF).contains(number) || number > 0x10FFFF { return "\u{FFFD}" }
        if HTMLEntities.invalidCodepoints.contains(number) { return "" }
        return String(Character(Unicode.Scalar(number)!))
    }

    static func named(_ name: [Unicode.Scalar]) -> String {
        let whole = String(String.UnicodeScalarView(name))
        if let value = HTMLEntities.named[whole] { return value }
        // Python tries prefixes of length len−1 down to 2.
        var length = name.count - 1
        while length > 1 {
            let prefix = String(String.UnicodeScalarView(name[..<length]))
            if let value = HTMLEntities.named[prefix] {
                return value + String(String.UnicodeScalarView(name[length...]))
            }
            length -= 1
        }
        return "&" + whole
    }

    private static func isDigit(_ c: Unicode.Scalar, hex: Bool) -> Bool {
        switch c {
        case "0" ... "9": true
        case "a" ... "f", "A" ... "F": hex
        default: false
        }
    }

    /// The characters `[^\t\n\f <&#;]` leaves out of a name.
    private static let excludedFromName: Set<Unicode.Scalar> = ["\t", "\n", "\u{C}", " ", "<", "&", "#", ";"]
}
