import ArgumentParser
import Foundation
import ReelModel
import ReelPlan

/// The flags that describe a generation job, shared by `reel plan` and `reel submit`
/// so that planning a job and submitting it read the same words the same way.
///
/// Sizes of windows and tiles are in latent units: one latent frame is 4 pixel
/// frames (the first stands alone), one latent pixel is 8×8 pixels.
struct JobOptions: ParsableArguments {
    @Option(help: "Pixel frames, 4k+1 for Wan (81 = 5 s at 16 fps). Default 81 unless --seconds is given.")
    var frames: Int?

    @Option(help: "Clip length in seconds; rounded up to the next valid frame count (10 s at 16 fps = 161 frames).")
    var seconds: Double?

    @Option(help: "Frames per second.")
    var fps: Int = 16

    @Option(help: "Frame size WxH in pixels, multiples of 16, landscape or portrait (480x832).")
    var size: FrameSize = FrameSize(width: 832, height: 480)

    @Option(help: "wan2.1-1.3b, wan2.1-14b, or a diffusers folder containing transformer/config.json.")
    var model: String = "wan2.1-1.3b"

    @Option(help: "Sampling steps.")
    var steps: Int = 50

    @Option(help: "Latent frames per temporal window (21 = Wan's native 81 pixel frames); clamped to the clip.")
    var window: Int = 21

    @Option(help: "Latent frames shared by neighbouring windows.")
    var overlap: Int = 5

    @Option(help: "Steps between blends of neighbouring windows and tiles.")
    var blendEvery: Int = 5

    @Option(help: "Steps in the first block, 1...blend-every (default: blend-every).")
    var firstBlock: Int?

    @Option(help: "Steps in the last block, 1...blend-every (default: blend-every).")
    var lastBlock: Int?

    @Option(help: "Spatial tile WxH (or N for NxN) in latent pixels, multiples of the patch (2); default: none up to the model's native size (832x480 or 480x832 for Wan), tiles of the native size above it.")
    var tile: FrameSize?

    @Option(help: "Latent pixels shared by neighbouring tiles, a multiple of the patch.")
    var tileOverlap: Int = TileSpec.defaultOverlap

    @Flag(help: "Loop mode: windows wrap from the end back to the start so the clip loops seamlessly.")
    var loop = false

    @Flag(
        name: [.customLong("still"), .customLong("image-out")],
        help: "A still image: one frame, written as PNG instead of MP4 (large sizes are cut into tiles).")
    var still = false

    @Option(help: "Blend weight at the outer edge of an overlap ramp, in (0, 1].")
    var blendFloor: Double = 0.05

    @Option(
        name: [.customLong("guidance"), .customLong("guidance-scale")],
        help: "Classifier-free guidance scale (Wan default 5); 1 runs one pass per step instead of two.")
    var guidanceScale: Double = 5

    /// A `WxH` pair (or a single `N` for `NxN`).
    struct FrameSize: ExpressibleByArgument, Hashable, CustomStringConvertible {
        var width: Int
        var height: Int

        init(width: Int, height: Int) {
            self.width = width
            self.height = height
        }

        init?(argument: String) {
            let parts = argument.lowercased().split(separator: "x", omittingEmptySubsequences: false)
            guard (1...2).contains(parts.count), let w = Int(parts[0]), let h = Int(parts.last!) else { return nil }
            self.init(width: w, height: h)
        }

        var description: String { "\(width)x\(height)" }
        var defaultValueDescription: String { description }
    }

    /// Everything `reel plan` prints, derived from the flags.
    struct Resolved {
        var plan: Plan
        var guidance: Bool
        /// Whether the tiles were chosen automatically (no --tile, frame above the native size).
        var automaticTiles: Bool
    }

    mutating func validate() throws {
        if frames != nil && seconds != nil {
            throw ValidationError("give --frames or --seconds, not both.")
        }
        if still, seconds != nil || (frames ?? 1) != 1 {
            throw ValidationError("--still renders one frame: leave out --frames and --seconds.")
        }
        guard guidanceScale.isFinite && guidanceScale >= 0 else {
            throw ValidationError("--guidance \(guidanceScale) is invalid: expected a number ≥ 0 (1 disables guidance).")
        }
    }

    /// The plan settings of these flags.
    var planConfig: PlanConfig {
        PlanConfig(
            window: window, overlap: overlap, loop: loop,
            tile: tile.map { TileSpec(width: $0.width, height: $0.height, overlap: tileOverlap) },
            steps: steps, blendEvery: blendEvery, firstBlock: firstBlock, lastBlock: lastBlock,
            blendFloor: blendFloor)
    }

    /// The plan these flags describe.
    ///
    /// - Throws: `ValidationError` carrying ``PlanError``'s message, or naming the
    ///   accepted models.
    func resolve() throws -> Resolved {
        let model = try Self.loadModel(model)
        do {
            let plan = try plan(model: model)
            return Resolved(plan: plan, guidance: guidanceScale != 1, automaticTiles: tile == nil && plan.config.tile != nil)
        } catch {
            // Typed throws: `error` is a PlanError, whose message names the value to fix.
            throw ValidationError(error.description)
        }
    }

    private func plan(model: ModelGeometry) throws(PlanError) -> Plan {
        let job: JobSpec
        if let seconds {
            job = try JobSpec(
                seconds: seconds, fps: fps, width: size.width, height: size.height,
                temporalStride: model.temporalStride)
        } else {
            job = JobSpec(frames: still ? 1 : frames ?? 81, fps: fps, width: size.width, height: size.height)
        }
        // The same rule as a submitted job's: tiles of the native size above it, unless --tile is given.
        let geometry = try ClipGeometry(job: job, model: model)
        return try Plan(geometry: geometry, config: planConfig.resolvingTiles(for: geometry))
    }

    /// Models known by name.
    static let namedModels: [String: ModelGeometry] = [
        ModelGeometry.wan21_1_3B.name: .wan21_1_3B,
        ModelGeometry.wan21_14B.name: .wan21_14B,
    ]

    /// A model by name, or from a diffusers folder's `transformer/config.json`.
    ///
    /// The transformer config has no VAE or text-encoder settings, so those are
    /// Wan 2.1's (strides 4 and 8, 512 text tokens).
    static func loadModel(_ name: String) throws -> ModelGeometry {
        if let named = namedModels[name.lowercased()] { return named }
        let folder = URL(fileURLWithPath: name)
        let configURL = folder.appendingPathComponent("transformer/config.json")
        guard FileManager.default.fileExists(atPath: configURL.path) else {
            let accepted = namedModels.keys.sorted().joined(separator: ", ")
            throw ValidationError(
                "unknown model '\(name)': expected one of \(accepted), or a folder containing transformer/config.json.")
        }
        let data = try Data(contentsOf: configURL)
        guard let json = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ValidationError("\(configURL.path) is not a JSON object.")
        }
        func int(_ key: String) throws -> Int {
            guard let value = json[key] as? Int else {
                throw ValidationError("\(configURL.path) lacks the integer \"\(key)\".")
            }
            return value
        }
        guard let patch = json["patch_size"] as? [Int], patch.count == 3 else {
            throw ValidationError("\(configURL.path) lacks \"patch_size\" as three integers [t, h, w].")
        }
        let heads = try int("num_attention_heads")
        let wan = ModelGeometry.wan21_1_3B
        return ModelGeometry(
            name: folder.lastPathComponent, latentChannels: try int("in_channels"),
            temporalStride: wan.temporalStride, spatialStride: wan.spatialStride,
            patch: PatchSize(frames: patch[0], height: patch[1], width: patch[2]),
            layers: try int("num_layers"), width: heads * (try int("attention_head_dim")),
            ffnWidth: try int("ffn_dim"), heads: heads, textTokens: wan.textTokens, textDim: try int("text_dim"),
            firstLatentForm: try ReelFolderConfig.load(folder: folder.path).firstLatentIsLater ? .later : nil)
    }
}
