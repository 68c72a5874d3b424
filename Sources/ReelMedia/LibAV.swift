import CLibAV

/// Small helpers around the libav C API shared by the readers and writers.
enum LibAV {
    static let eof = reel_averror_eof()
    static let again = reel_averror_eagain()

    /// libav's text for an error code (what `av_err2str` gives in C).
    static func errorString(_ code: Int32) -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        if av_strerror(code, &buffer, buffer.count) < 0 {
            return "libav error \(code)"
        }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// libav logs at INFO by default, and libx264 prints several lines per video there;
    /// on a render farm that is noise in every job log. Lower it to errors once, but only
    /// if the host application has not chosen a level itself.
    private static let configured: Bool = {
        if av_log_get_level() == AV_LOG_INFO {
            av_log_set_level(AV_LOG_ERROR)
        }
        return true
    }()

    static func configure() {
        _ = configured
    }

    /// libav opens paths through its protocol layer, where `name:rest` selects protocol
    /// `name`; the explicit `file:` prefix keeps any file name a file name.
    static func fileURL(_ path: String) -> String {
        "file:" + path
    }

    /// The entries of an AVDictionary.
    static func dictionary(_ dict: OpaquePointer?) -> [String: String] {
        var result: [String: String] = [:]
        var entry: UnsafeMutablePointer<AVDictionaryEntry>? = nil
        while let next = av_dict_get(dict, "", entry, AV_DICT_IGNORE_SUFFIX) {
            if let key = next.pointee.key, let value = next.pointee.value {
                result[String(cString: key)] = String(cString: value)
            }
            entry = next
        }
        return result
    }

    static func pixelFormatName(_ format: Int32) -> String {
        av_get_pix_fmt_name(AVPixelFormat(format)).map { String(cString: $0) } ?? "unknown (\(format))"
    }
}
