import Foundation
import ReelMedia
import ReelPlan

/// Issue #12's measures of a rendered demo clip: whether it shows the prompted colour
/// and direction (``PaletteDetector``, the same detector as `Deploy/train/quality.py`),
/// and how visible its window seams are (``SeamMetric`` on the decoded frames at the
/// plan's window boundaries).
struct DemoQuality {
    /// The object colour and direction words a prompt of the grammar asks for.
    struct Target: Equatable {
        let colour: String
        let direction: TrackDirection
        let directionWord: String
    }

    let target: Target
    let adherence: Adherence
    /// Nil for a clip of one window.
    let seam: SeamMetric?
    /// The same against only the other pairs between latent frames (``Plan/seamMetric(pixelFrames:latentMatched:)``).
    let latentMatchedSeam: SeamMetric?
    let frames: Int

    /// The palette in a demo model folder's `grammar.json` (`palette`: `[name, r, g, b]`
    /// rows in the training side's order), nil when the folder has none.
    static func palette(folder: String) -> [PaletteColour]? {
        guard let rows = DemoModel.grammar(folder: folder)?["palette"] as? [[Any]] else { return nil }
        var colours = [PaletteColour]()
        for row in rows {
            let rgb = row.dropFirst().compactMap { ($0 as? Int).flatMap(UInt8.init(exactly:)) }
            guard row.count == 4, let name = row[0] as? String, rgb.count == 3 else { return nil }
            colours.append(PaletteColour(name, rgb[0], rgb[1], rgb[2]))
        }
        return colours
    }

    /// The first object-colour word and the first direction word of `prompt`; nil when
    /// the prompt names no object colour or no direction of the grammar.
    static func target(of prompt: String, objectColours: Set<String>) -> Target? {
        let words = prompt.lowercased().split(whereSeparator: { $0.isWhitespace || $0 == "," || $0 == "." }).map(String.init)
        guard let colour = words.first(where: objectColours.contains),
            let word = words.first(where: { TrackDirection(word: $0) != nil }),
            let direction = TrackDirection(word: word)
        else { return nil }
        return Target(colour: colour, direction: direction, directionWord: word)
    }

    /// Measures the MP4 at `path` rendered from `prompt` with windows of `plan`'s config.
    static func measure(
        video path: String, prompt: String, palette: [PaletteColour], objectColours: Set<String>, plan: (ClipGeometry) throws -> Plan
    ) throws -> DemoQuality {
        guard let target = target(of: prompt, objectColours: objectColours) else {
            throw DemoModelError(message: "the prompt names no object colour (\(objectColours.sorted().joined(separator: ", "))) or no direction of the grammar, so there is nothing to measure")
        }
        let reader = try VideoReader(url: URL(fileURLWithPath: path))
        let frames = try reader.readAll()
        let detector = try PaletteDetector(palette: palette)
        let adherence = try detector.adherence(of: frames, colour: target.colour, direction: target.direction)
        let plan = try plan(ClipGeometry(
            job: JobSpec(frames: frames.count, fps: 16, width: reader.width, height: reader.height),
            model: DemoQuality.geometry))
        let values = frames.map { $0.pixels.map(Float.init) }
        return DemoQuality(
            target: target, adherence: adherence, seam: plan.seamMetric(pixelFrames: values),
            latentMatchedSeam: plan.seamMetric(pixelFrames: values, latentMatched: true), frames: frames.count)
    }

    /// Only the strides and the patch matter to where windows fall: Wan's.
    static let geometry = ModelGeometry(
        name: "demo", latentChannels: 8, temporalStride: 4, spatialStride: 8,
        patch: PatchSize(frames: 1, height: 2, width: 2),
        layers: 4, width: 128, ffnWidth: 256, heads: 4, textTokens: 512, textDim: 64)

    /// One line for `reel demo`'s output.
    var summary: String {
        let colour = String(format: "%.0f %%", adherence.colourRate * 100)
        let direction = "\(Int((adherence.directionRate * Double(adherence.windows)).rounded())) of \(adherence.windows)"
        let seamText = seam.map { String(format: "%.3f", $0.ratio) } ?? "- (one window)"
        let matched = latentMatchedSeam.map { String(format: ", %.3f against the other pairs between latent frames", $0.ratio) } ?? ""
        return "measured over \(frames) frames: \(target.colour) found in \(colour) of frames, moving \(target.directionWord) in \(direction) windows of 61 frames; seam metric \(seamText)\(matched) (boundary ÷ interior frame-to-frame difference; 1 is seamless)"
    }
}
