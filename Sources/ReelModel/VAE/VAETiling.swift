import ReelTensor

/// Spatial tiling for decoding frames too large to decode whole, as diffusers'
/// `enable_tiling` + `tiled_decode`: overlapping latent tiles decoded on their own
/// (each with its own frame cache), blended linearly over the overlap in pixel
/// space, cropped and joined. Sizes are in pixels, multiples of the spatial stride.
public struct VAETiling: Sendable, Equatable {
    /// Tiles start once the frame is taller or wider than this (`tile_sample_min_*`).
    public var tileHeight: Int
    public var tileWidth: Int
    /// Distance between tile origins (`tile_sample_stride_*`); `tile − stride` pixels are blended.
    public var strideHeight: Int
    public var strideWidth: Int

    /// diffusers' defaults: 256-pixel tiles every 192 pixels (64 blended).
    public init(tileHeight: Int = 256, tileWidth: Int = 256, strideHeight: Int = 192, strideWidth: Int = 192) {
        (self.tileHeight, self.tileWidth, self.strideHeight, self.strideWidth) = (tileHeight, tileWidth, strideHeight, strideWidth)
    }

    func validate(spatialStride s: Int) throws(ModelError) {
        for (name, size) in [("tile height", tileHeight), ("tile width", tileWidth), ("stride height", strideHeight), ("stride width", strideWidth)]
        where size <= 0 || size % s != 0 {
            throw .inputShape(name: "tiling", expected: "\(name) a positive multiple of the VAE's spatial stride \(s)", actual: [size])
        }
        guard strideHeight <= tileHeight, strideWidth <= tileWidth else {
            throw .inputShape(name: "tiling", expected: "strides no larger than the tiles", actual: [tileHeight, tileWidth, strideHeight, strideWidth])
        }
    }

    /// The latent regions to decode for an `h × w` latent frame, row by row, or one
    /// whole-frame region when the frame fits in a tile.
    func regions(latentHeight h: Int, latentWidth w: Int, spatialStride s: Int) -> [[(rows: Range<Int>, columns: Range<Int>)]] {
        guard h > tileHeight / s || w > tileWidth / s else { return [[(0 ..< h, 0 ..< w)]] }
        return stride(from: 0, to: h, by: strideHeight / s).map { i in
            stride(from: 0, to: w, by: strideWidth / s).map { j in
                (i ..< min(h, i + tileHeight / s), j ..< min(w, j + tileWidth / s))
            }
        }
    }

    /// Joins decoded tiles `(n, th, tw, C)` (rows of columns, as ``regions``) into one
    /// `(n, height, width, C)` frame batch: each tile blended in place with the already
    /// blended tile above and then the one to its left, cropped to the stride.
    func assemble(_ tiles: [[Tensor]], height: Int, width: Int) -> Tensor {
        guard tiles.count > 1 || tiles[0].count > 1 else { return tiles[0][0] }
        let (frames, channels) = (tiles[0][0].shape[0], tiles[0][0].shape[3])
        var out = Tensor(zeros: [frames, height, width, channels])
        var blended = tiles
        for i in blended.indices {
            for j in blended[i].indices {
                var tile = blended[i][j]
                if i > 0 { Self.blend(from: blended[i - 1][j], into: &tile, extent: tileHeight - strideHeight, vertical: true) }
                if j > 0 { Self.blend(from: blended[i][j - 1], into: &tile, extent: tileWidth - strideWidth, vertical: false) }
                blended[i][j] = tile
                let (y0, x0) = (i * strideHeight, j * strideWidth)
                let rows = min(strideHeight, tile.shape[1], height - y0), columns = min(strideWidth, tile.shape[2], width - x0)
                guard rows > 0, columns > 0 else { continue }
                for f in 0 ..< frames {
                    for y in 0 ..< rows {
                        let src = ((f * tile.shape[1] + y) * tile.shape[2]) * channels
                        let dst = ((f * height + y0 + y) * width + x0) * channels
                        out.storage.replaceSubrange(dst ..< dst + columns * channels, with: tile.storage[src ..< src + columns * channels])
                    }
                }
            }
        }
        return out
    }

    /// diffusers' `blend_v` / `blend_h`: the first `e` rows (columns) of `b` become
    /// `a`'s last `e` · (1 − y/e) + `b` · y/e, with `e` clipped to both tiles.
    static func blend(from a: Tensor, into b: inout Tensor, extent: Int, vertical: Bool) {
        let axis = vertical ? 1 : 2
        let e = min(a.shape[axis], b.shape[axis], extent)
        guard e > 0 else { return }
        let (frames, channels) = (b.shape[0], b.shape[3])
        for f in 0 ..< frames {
            for k in 0 ..< e {
                let wa = Float(1 - Double(k) / Double(e)), wb = Float(Double(k) / Double(e))
                let ak = a.shape[axis] - e + k
                let count = vertical ? b.shape[2] : b.shape[1]
                for m in 0 ..< count {
                    let (ay, ax, by, bx) = vertical ? (ak, m, k, m) : (m, ak, m, k)
                    let ia = ((f * a.shape[1] + ay) * a.shape[2] + ax) * channels
                    let ib = ((f * b.shape[1] + by) * b.shape[2] + bx) * channels
                    for c in 0 ..< channels { b.storage[ib + c] = a.storage[ia + c] * wa + b.storage[ib + c] * wb }
                }
            }
        }
    }
}
