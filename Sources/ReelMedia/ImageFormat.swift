/// Still-image encodings ReelMedia writes (through libavcodec's own encoders).
public enum ImageFormat: Sendable, Equatable {
    /// Lossless RGB PNG.
    case png
    /// Baseline JPEG, 4:2:0, BT.601 full range. `quality` 1…100 maps linearly onto
    /// libavcodec's quantizer 31…2; 95 (the default) is near-transparent.
    case jpeg(quality: Int = 95)

    /// `png`, `jpg` or `jpeg` (any case) → the format; nil for anything else.
    public init?(fileExtension: String) {
        switch fileExtension.lowercased() {
        case "png": self = .png
        case "jpg", "jpeg": self = .jpeg()
        default: return nil
        }
    }
}
