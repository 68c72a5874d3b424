import PropertyBased
import ReelPlan

/// A small random geometry and plan configuration, valid by construction, for
/// property tests. Latent sizes stay tiny so a debug build checks hundreds of
/// plans in well under a second each.
struct PlanCase: Sendable, CustomStringConvertible {
    var channels: Int
    var latentFrames: Int
    var latentHeight: Int
    var latentWidth: Int
    var window: Int
    var overlap: Int
    var loop: Bool
    /// Tile (height, width, overlap) in latent pixels, or nil.
    var tile: (height: Int, width: Int, overlap: Int)?
    var steps: Int
    var blendEvery: Int
    var floor: Double

    /// A tiny model: Wan's strides and patch, everything else small.
    static let model = ModelGeometry(
        name: "tiny", latentChannels: 2, temporalStride: 4, spatialStride: 8,
        patch: PatchSize(frames: 1, height: 2, width: 2),
        layers: 2, width: 8, ffnWidth: 16, heads: 2, textTokens: 4, textDim: 6)

    var job: JobSpec {
        JobSpec(frames: (latentFrames - 1) * 4 + 1, fps: 16, width: latentWidth * 8, height: latentHeight * 8)
    }

    var config: PlanConfig {
        PlanConfig(
            window: window, overlap: overlap, loop: loop,
            tile: tile.map { TileSpec(width: $0.width, height: $0.height, overlap: $0.overlap) },
            steps: steps, blendEvery: blendEvery, blendFloor: floor)
    }

    func plan() throws -> Plan {
        var model = Self.model
        model.latentChannels = channels
        return try Plan(geometry: ClipGeometry(job: job, model: model), config: config)
    }

    var description: String {
        "C\(channels) F\(latentFrames) H\(latentHeight) W\(latentWidth) window \(window) overlap \(overlap)"
            + "\(loop ? " loop" : "") tile \(tile.map { "\($0.height)x\($0.width)/\($0.overlap)" } ?? "none")"
            + " steps \(steps)/\(blendEvery) floor \(floor)"
    }

    /// Random cases; sizes that must relate (overlap < window, tile overlap < tile)
    /// are derived from independent draws so shrinking keeps them valid.
    static let generator = zip(
        Gen.int(in: 1...40),  // latent frames
        Gen.int(in: 1...6),  // latent height / 2
        Gen.int(in: 1...6),  // latent width / 2
        Gen.int(in: 1...24),  // window
        Gen.int(in: 0...23),  // overlap, reduced modulo window
        Gen.bool,  // loop
        Gen.int(in: 0...4),  // tile half-size, 0 for none
        Gen.int(in: 0...3),  // tile overlap half-size, reduced below the tile
        Gen.int(in: 1...12),  // steps
        Gen.int(in: 1...12)  // blend every, clamped to steps
    ).map { f, h, w, window, overlap, loop, tile, tileOverlap, steps, every in
        PlanCase(
            channels: 1 + (f + h) % 2, latentFrames: f, latentHeight: 2 * h, latentWidth: 2 * w,
            window: window, overlap: overlap % window, loop: loop,
            tile: tile == 0 ? nil : (2 * tile, 2 * (tile + w % 2), 2 * (tileOverlap % tile)),
            steps: steps, blendEvery: min(every, steps), floor: [0.05, 0.3, 1][(window + steps) % 3])
    }
}
