extension ModelGeometry {
    /// The frame size the model was trained at, which decides where automatic
    /// spatial tiling starts (``TileSpec/automatic(for:model:)``): Wan 2.1's T2V
    /// checkpoints (1.3B and 14B) are trained at 480p, 832×480 (14B also at 720p,
    /// but 480p is the size both render well, so it is the safe choice for tiles).
    ///
    /// A property of the checkpoint that `config.json` does not record, so it is
    /// Wan 2.1's for every model; a model with another native size would carry it
    /// here.
    public var nativeSize: PixelSize { PixelSize(width: 832, height: 480) }

    /// Transformer tokens in one latent frame of `size` pixels (rounded down to whole tokens).
    func tokensPerFrame(_ size: PixelSize) -> Int {
        let quantum = pixelQuantum
        return (size.width / quantum.width) * (size.height / quantum.height)
    }
}
