extension VideoMetadata {
    /// The same record as ``tags`` for a still image: the `description` says
    /// "image" rather than "video", and `Software` names Reel (the PNG keyword
    /// readers show). Written into a PNG with ``PNGText/adding(_:to:)``.
    public var stillTags: [(key: String, value: String)] {
        var tags = Dictionary(uniqueKeysWithValues: self.tags.map { ($0.key, $0.value) })
        if aiGenerated, extra["description"] == nil {
            tags["description"] = "AI-generated image (synthetic content) rendered by Reel" + (model.map { " with \($0)" } ?? "")
        }
        tags["Software"] = "Reel"
        return tags.sorted { $0.key < $1.key }.map { (key: $0.key, value: $0.value) }
    }
}
