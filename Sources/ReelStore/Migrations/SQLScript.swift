/// Splits a migration's SQL into statements, because `PQexecParams` runs exactly
/// one statement per call. A `;` ends a statement only outside string literals
/// (`'…'`, `E'…'`), quoted identifiers, comments and dollar-quoted bodies
/// (`$$ … $$`, `$fn$ … $fn$`), so function bodies keep their semicolons.
enum SQLScript {
    static func statements(_ sql: String) -> [String] {
        let s = Array(sql.unicodeScalars)
        var statements: [String] = []
        var start = 0
        var hasCode = false  // whether the current statement has anything but comments
        var i = 0

        func isIdentifier(_ c: Unicode.Scalar) -> Bool {
            c.properties.isAlphabetic || ("0"..."9").contains(c) || c == "_" || c == "$"
        }
        func finish(at end: Int) {
            if hasCode {
                var text = String(String.UnicodeScalarView(s[start..<end]))
                while text.last?.isWhitespace == true { text.removeLast() }
                while text.first?.isWhitespace == true { text.removeFirst() }
                statements.append(text)
            }
            start = end + 1
            hasCode = false
        }
        /// The index just past the quoted run that starts at `i` and ends with `quote`
        /// (a doubled quote stays inside; with `backslash`, `\x` too).
        func skipQuoted(_ quote: Unicode.Scalar, from i: Int, backslash: Bool) -> Int {
            var j = i + 1
            while j < s.count {
                if backslash && s[j] == "\\" { j += 2; continue }
                if s[j] == quote {
                    if j + 1 < s.count && s[j + 1] == quote { j += 2; continue }
                    return j + 1
                }
                j += 1
            }
            return s.count
        }

        while i < s.count {
            let c = s[i]
            let next: Unicode.Scalar? = i + 1 < s.count ? s[i + 1] : nil
            if c == "-" && next == "-" {
                while i < s.count && s[i] != "\n" { i += 1 }
                continue
            }
            if c == "/" && next == "*" {
                var depth = 1
                i += 2
                while i < s.count && depth > 0 {
                    if s[i] == "/" && i + 1 < s.count && s[i + 1] == "*" { depth += 1; i += 2 }
                    else if s[i] == "*" && i + 1 < s.count && s[i + 1] == "/" { depth -= 1; i += 2 }
                    else { i += 1 }
                }
                continue
            }
            if c == ";" {
                finish(at: i)
                i += 1
                continue
            }
            if !c.properties.isWhitespace { hasCode = true }
            let previous: Unicode.Scalar? = i > 0 ? s[i - 1] : nil
            if c == "'" {
                let escaped = (previous == "E" || previous == "e") && (i < 2 || !isIdentifier(s[i - 2]))
                i = skipQuoted("'", from: i, backslash: escaped)
            } else if c == "\"" {
                i = skipQuoted("\"", from: i, backslash: false)
            } else if c == "$", previous.map({ !isIdentifier($0) }) ?? true,
                      let tagEnd = s[(i + 1)...].firstIndex(where: { !isIdentifier($0) || $0 == "$" }),
                      s[tagEnd] == "$", !(next.map { ("0"..."9").contains($0) } ?? false)
            {
                let tag = Array(s[i...tagEnd])
                var j = tagEnd + 1
                while j < s.count && !(s[j] == "$" && s[j...].starts(with: tag)) { j += 1 }
                i = min(j + tag.count, s.count)
            } else {
                i += 1
            }
        }
        finish(at: s.count)
        return statements
    }
}
