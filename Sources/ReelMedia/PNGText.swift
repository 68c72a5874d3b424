/// Text chunks in a PNG file: how a still carries its provenance (the AI-generated
/// record an MP4 carries in its `mdta` tags).
///
/// Written as `iTXt` chunks (UTF-8, uncompressed, no language tag), since a prompt
/// is not Latin-1 as `tEXt` requires; read back from both `iTXt` and `tEXt`.
/// The chunks go right after `IHDR`, before the image data, so a reader that stops
/// early still sees them. Pure Swift over the file's bytes: libavcodec's PNG
/// encoder writes no text, and these few chunks need no library.
public enum PNGText {
    /// What ``read(_:)`` finds in a PNG file.
    public struct Info: Sendable, Equatable {
        public var width: Int
        public var height: Int
        /// Text chunks by keyword (a later chunk of the same keyword wins).
        public var text: [String: String]
    }

    /// The 8-byte signature every PNG file starts with.
    public static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// Whether `bytes` start like a PNG file.
    public static func isPNG(_ bytes: some Collection<UInt8>) -> Bool { bytes.starts(with: signature) }

    /// `png` with one `iTXt` chunk per entry inserted after `IHDR`.
    ///
    /// - Throws: `MediaError.invalidArgument` when `png` is not a well-formed PNG
    ///   (see ``read(_:)``) or a keyword is not 1–79 printable Latin-1 characters
    ///   without leading, trailing or double spaces (the PNG rule).
    public static func adding(_ entries: [(key: String, value: String)], to png: [UInt8]) throws -> [UInt8] {
        _ = try read(png)
        var chunks: [UInt8] = []
        for (key, value) in entries {
            guard isKeyword(key) else {
                throw MediaError.invalidArgument("'\(key)' is not a PNG text keyword: 1–79 printable Latin-1 characters, single spaces inside only")
            }
            // keyword NUL, compression flag 0, method 0, empty language NUL, empty translated keyword NUL, text.
            let data = Array(key.unicodeScalars.map { UInt8($0.value) }) + [0, 0, 0, 0, 0] + Array(value.utf8)
            chunks += chunk("iTXt", data)
        }
        // IHDR is the first chunk: signature, length, type, 13 bytes, CRC.
        let afterHeader = signature.count + 4 + 4 + 13 + 4
        return Array(png[..<afterHeader]) + chunks + Array(png[afterHeader...])
    }

    /// The size and text of a PNG file, checking its structure: the signature, an
    /// `IHDR` first, every chunk's CRC, and an `IEND` last.
    ///
    /// - Throws: `MediaError.invalidArgument` saying what is wrong.
    public static func read(_ png: [UInt8]) throws -> Info {
        guard isPNG(png) else { throw MediaError.invalidArgument("not a PNG file: the signature is missing") }
        var offset = signature.count
        var info: Info?
        var ended = false
        while offset < png.count {
            guard !ended else { throw MediaError.invalidArgument("PNG has bytes after IEND") }
            guard png.count - offset >= 12 else { throw MediaError.invalidArgument("PNG chunk at byte \(offset) is truncated") }
            let length = Int(bigEndian(png, offset))
            guard length <= png.count - offset - 12 else {
                throw MediaError.invalidArgument("PNG chunk at byte \(offset) claims \(length) bytes; the file ends first")
            }
            let type = String(decoding: png[offset + 4 ..< offset + 8], as: UTF8.self)
            let data = Array(png[offset + 8 ..< offset + 8 + length])
            let stored = bigEndian(png, offset + 8 + length)
            guard crc32(Array(png[offset + 4 ..< offset + 8]) + data) == stored else {
                throw MediaError.invalidArgument("PNG chunk \(type) at byte \(offset) fails its CRC")
            }
            if info == nil {
                guard type == "IHDR", length == 13 else { throw MediaError.invalidArgument("PNG does not start with IHDR") }
                info = Info(width: Int(bigEndian(data, 0)), height: Int(bigEndian(data, 4)), text: [:])
            }
            switch type {
            case "tEXt":
                if let nul = data.firstIndex(of: 0) {
                    info?.text[latin1(data[..<nul])] = latin1(data[(nul + 1)...])
                }
            case "iTXt":
                // Uncompressed only (flag 0): these are the chunks this type writes.
                if let nul = data.firstIndex(of: 0), nul + 2 < data.count, data[nul + 1] == 0,
                    let language = data[(nul + 3)...].firstIndex(of: 0),
                    let translated = data[(language + 1)...].firstIndex(of: 0)
                {
                    info?.text[latin1(data[..<nul])] = String(decoding: data[(translated + 1)...], as: UTF8.self)
                }
            case "IEND": ended = true
            default: break
            }
            offset += 12 + length
        }
        guard let info, ended else { throw MediaError.invalidArgument("PNG ends without IEND") }
        return info
    }

    private static func isKeyword(_ key: String) -> Bool {
        let scalars = Array(key.unicodeScalars)
        guard (1 ... 79).contains(scalars.count), scalars.first != " ", scalars.last != " ", !key.contains("  ") else { return false }
        return scalars.allSatisfy { (0x20 ... 0x7E).contains($0.value) || (0xA1 ... 0xFF).contains($0.value) }
    }

    private static func latin1(_ bytes: ArraySlice<UInt8>) -> String {
        String(String.UnicodeScalarView(bytes.map { Unicode.Scalar($0) }))
    }

    private static func bigEndian(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
        bytes[offset ..< offset + 4].reduce(0) { $0 << 8 | UInt32($1) }
    }

    private static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let typed = Array(type.utf8) + data
        func be(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
        return be(UInt32(data.count)) + typed + be(crc32(typed))
    }

    /// CRC-32 (ISO 3309, reflected polynomial 0xEDB88320) over a chunk's type and data.
    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc = crcTable[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8)
        }
        return crc ^ 0xFFFF_FFFF
    }

    private static let crcTable: [UInt32] = (0 ..< 256).map { n in
        var c = UInt32(n)
        for _ in 0 ..< 8 { c = c & 1 == 1 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }
}
