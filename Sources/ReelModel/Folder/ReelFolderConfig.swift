import Foundation

/// What Reel needs to know about a checkpoint that diffusers' configs do not say,
/// from the model folder's optional `reel.json`. Absent, every value is Wan 2.1's.
///
///     { "first_latent_form": "later" }
///
/// `first_latent_form` says how the transformer draws a clip's latent frame 0.
/// Wan 2.1 trained on whole clips through its causal VAE, so its latent frame 0 is
/// the VAE's first-form frame (one pixel frame, encoded alone): `"first"`, the
/// default. A transformer that never trained on a clip's first latent frame (the
/// demo model: its training windows start after it) draws latent frame 0 as it draws
/// every other, a later-form frame (`stride` pixel frames); decoded as a first frame
/// it comes out wrong, so Reel decodes it as a later one (``WanVAE/decodeStream(_:frames:warmup:tiling:laterStart:emit:)``)
/// and encodes every conditioning source in later form for it.
public struct ReelFolderConfig: Sendable, Equatable {
    /// The file's name in the model folder.
    public static let fileName = "reel.json"

    /// Whether the transformer draws a clip's latent frame 0 in later form.
    public var firstLatentIsLater: Bool

    /// Wan 2.1's defaults unless told otherwise.
    public init(firstLatentIsLater: Bool = false) {
        self.firstLatentIsLater = firstLatentIsLater
    }

    /// `DIR/reel.json`, or Wan 2.1's defaults when the folder has none.
    /// - Throws: ``ModelError/invalidConfig(path:key:reason:)`` naming the key for a
    ///   file that is not a JSON object, an unknown key, or a value out of its set.
    public static func load(folder: String) throws(ModelError) -> ReelFolderConfig {
        let path = (folder as NSString).appendingPathComponent(fileName)
        guard FileManager.default.fileExists(atPath: path) else { return ReelFolderConfig() }
        let reader = ConfigFile.Reader(path: path, object: try ConfigFile.readObject(path: path))
        if let unknown = reader.object.keys.sorted().first(where: { $0 != "first_latent_form" }) {
            throw .invalidConfig(path: path, key: unknown, reason: "is not a key Reel reads (it reads first_latent_form)")
        }
        switch try reader.string("first_latent_form", default: "first") {
        case "first", nil: return ReelFolderConfig()
        case "later": return ReelFolderConfig(firstLatentIsLater: true)
        case let other?: throw .invalidConfig(path: path, key: "first_latent_form", reason: "must be \"first\" or \"later\", got \"\(other)\"")
        }
    }
}
