/// One conditioning item of a job: known content (an image, or a run of a video's
/// frames) placed on the output's latent timeline, either pinned (kept exactly, the
/// rest generated around it) or used as the starting point at a strength (SDEdit).
///
/// Image-to-video, extending, connecting, keyframes and video-to-video editing are all
/// lists of these (see the README's "Conditioning" section). The item names its source
/// by content digest; the source bytes travel beside the request, like the prompt
/// embeddings, and workers encode them with the VAE.
///
/// Stored in the job request verbatim (snake_case JSON keys); ``canonical(temporalStride:)``
/// gives the one form that two equivalent requests share.
public struct ConditioningItem: Hashable, Sendable, Codable {
    /// The known content.
    public var source: ConditioningSource
    /// Output pixel frame where the source's first frame goes; must be a multiple of
    /// the VAE's temporal stride (pixel frame `4m` ↔ latent frame `m` for Wan's stride
    /// 4), so that the source's own causal encoding lines up with the clip's. Exactly
    /// one of `frame` and `latentFrame` is set.
    public var frame: Int?
    /// Output latent frame where the source's first latent frame goes.
    public var latentFrame: Int?
    /// Pinned, or the starting point of SDEdit.
    public var mode: ConditioningMode
    /// For ``ConditioningMode/start``: how much of the schedule reruns, in (0, 1];
    /// 1 regenerates from pure noise, small values keep the source. Nil for pins.
    public var strength: Double?
    /// Where in the frame the source goes, in output pixels; nil: the whole frame.
    /// The source is conformed to the box's size.
    public var box: PixelBox?
    /// How a source of another size is conformed to the box (or frame); nil: ``SourceFit/crop``.
    public var fit: SourceFit?
    /// For a pinned video at the clip's start or end (`reel submit --extend`): the output
    /// also holds the rest of the source, its frames before the pinned ones (at the start)
    /// or after them (at the end), so the extended clip contains both (``SourceJoin``).
    /// Nil or false: the output is the clip alone (the canonical form drops false).
    public var join: Bool?

    public init(
        source: ConditioningSource, frame: Int? = nil, latentFrame: Int? = nil, mode: ConditioningMode = .pin,
        strength: Double? = nil, box: PixelBox? = nil, fit: SourceFit? = nil, join: Bool? = nil
    ) {
        self.join = join
        self.source = source
        self.frame = frame
        self.latentFrame = latentFrame
        self.mode = mode
        self.strength = strength
        self.box = box
        self.fit = fit
    }
}

/// What a conditioning item does to the positions it covers.
public enum ConditioningMode: String, Hashable, Sendable, Codable, CaseIterable {
    /// Kept exactly: at every step the known latents, re-noised to the step's σ with
    /// the job's own noise, replace the window's latents there, and the output there
    /// equals the known latents.
    case pin
    /// SDEdit: the known latents noised to the strength's σ are the starting point,
    /// and the earlier steps are skipped.
    case start
}

/// The content a conditioning item brings: an image, or frames of a video.
public struct ConditioningSource: Hashable, Sendable, Codable {
    /// Image or video.
    public var kind: Kind
    /// SHA-256 of the source file's bytes, 64 lowercase hex digits: the cache key of
    /// its encoding (with the model and the conformed size) and its provenance record.
    public var digest: String
    /// For videos: the first source frame used, after resampling to the job's fps.
    public var firstFrame: Int?
    /// For videos: how many frames are used (`temporalStride·k + 1`); images are one frame.
    public var frameCount: Int?

    /// An image or a video.
    public enum Kind: String, Hashable, Sendable, Codable, CaseIterable {
        case image, video
    }

    public init(kind: Kind, digest: String, firstFrame: Int? = nil, frameCount: Int? = nil) {
        self.kind = kind
        self.digest = digest
        self.firstFrame = firstFrame
        self.frameCount = frameCount
    }

    /// Pixel frames the source contributes (1 for an image).
    public var pixelFrames: Int { kind == .image ? 1 : (frameCount ?? 1) }

    /// Whether `digest` is 64 lowercase hex digits.
    public static func isDigest(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }
}

/// A rectangle of output pixels: `x ..< x + width` × `y ..< y + height`.
public struct PixelBox: Hashable, Sendable, Codable {
    /// Left edge.
    public var x: Int
    /// Top edge.
    public var y: Int
    /// Width in pixels.
    public var width: Int
    /// Height in pixels.
    public var height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }
}
