import Foundation

/// Writes single frames as image files (posters, thumbnails, test fixtures).
public enum ImageWriter {
    /// Encodes `frame` and writes it atomically to `url` (replacing an existing file).
    /// - Parameter format: nil picks it from the extension (`.png`, `.jpg`, `.jpeg`).
    /// - Throws: `MediaError.invalidArgument` for an unknown extension or quality,
    ///   `.cannotWrite` when the file cannot be created.
    public static func write(_ frame: RGBFrame, to url: URL, format: ImageFormat? = nil) throws {
        let output = try AtomicOutput(target: url)
        guard let format = format ?? ImageFormat(fileExtension: url.pathExtension) else {
            throw MediaError.invalidArgument(
                "cannot tell the image format of '\(output.target)' from its extension: use .png, .jpg or .jpeg")
        }
        let encoder = try ImageEncoder(format: format, width: frame.width, height: frame.height, path: output.target)
        try encoder.encode(frame, path: output.target) { bytes in
            try output.write(bytes)
        }
    }
}
