extension TileSpec {
    /// The spatial tiles a frame gets when the user sets none.
    ///
    /// - Whole frames (nil) when a frame has no more transformer tokens than the
    ///   model's native frame (``ModelGeometry/nativeSize``): 832×480 and 480×832
    ///   alike, and every smaller size, are one tile; attention cost per window is
    ///   what the model was trained for.
    /// - Otherwise tiles of the native size, turned to match the frame (portrait
    ///   tiles for a portrait frame, landscape tiles otherwise; a square frame gets
    ///   landscape ones), so each tile is a frame the model knows. A side longer
    ///   than the frame is clamped by the layout.
    /// - The overlap is an eighth of the native frame's shorter latent side,
    ///   rounded to whole patches (8 latent pixels, 64 pixels, for Wan at 480p): the
    ///   same share of context the default temporal overlap gives a window.
    ///
    /// Sizes are in latent pixels, whole patches, so the result always passes
    /// ``PlanConfig/validate(patch:)``.
    public static func automatic(for size: PixelSize, model: ModelGeometry) -> TileSpec? {
        let native = model.nativeSize
        guard model.tokensPerFrame(size) > model.tokensPerFrame(native) else { return nil }
        let (ph, pw) = (model.patch.height, model.patch.width)
        func latent(_ pixels: Int, patch: Int) -> Int {
            max(patch, pixels / model.spatialStride / patch * patch)
        }
        let long = max(native.width, native.height), short = min(native.width, native.height)
        let (w, h) = size.isPortrait ? (short, long) : (long, short)
        let width = latent(w, patch: pw), height = latent(h, patch: ph)
        let quantum = max(ph, pw)
        let eighth = Double(min(width, height)) / 8 / Double(quantum)
        // Below a patch the tiles would not overlap at all; at or above the shorter side they could not.
        let overlap = min(max(quantum, Int(eighth.rounded()) * quantum), min(width, height) - quantum)
        return TileSpec(width: width, height: height, overlap: max(0, overlap))
    }
}

extension PlanConfig {
    /// These settings with tiles chosen for `geometry`'s frame size when none are
    /// set (``TileSpec/automatic(for:model:)``); tiles the user set are kept as given.
    public func resolvingTiles(for geometry: ClipGeometry) -> PlanConfig {
        guard tile == nil else { return self }
        var config = self
        config.tile = TileSpec.automatic(
            for: PixelSize(width: geometry.job.width, height: geometry.job.height), model: geometry.model)
        return config
    }
}
