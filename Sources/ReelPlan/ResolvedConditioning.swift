/// A conditioning item placed on the clip's latent: the positions it covers and what
/// the source contributes there.
public struct ResolvedConditioning: Hashable, Sendable {
    /// The item in canonical form (``ConditioningItem/latentFrame`` set, `frame` nil).
    public let item: ConditioningItem
    /// The latent positions covered, on the clip's time axis (cyclic in loop mode),
    /// all channels. The source's latent `[C, t, y, x]` maps onto it offset by offset.
    public let box: LatentBox
    /// Latent frames the source encodes to: 1 for an image, `(n − 1)/stride + 1` for n video frames.
    public var latentFrames: Int { box.frames.length }

    /// How the model draws a clip's latent frame 0 (``ModelGeometry/firstLatentForm``).
    public let clipStartForm: SourceForm

    public init(item: ConditioningItem, box: LatentBox, clipStartForm: SourceForm = .first) {
        self.item = item
        self.box = box
        self.clipStartForm = clipStartForm
    }

    /// The pixel size the source is conformed to before encoding: the box, or the frame.
    public func conformedSize(frameWidth: Int, frameHeight: Int) -> (width: Int, height: Int) {
        item.box.map { ($0.width, $0.height) } ?? (frameWidth, frameHeight)
    }
}
