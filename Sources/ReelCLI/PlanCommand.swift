import ArgumentParser
import Foundation
import ReelPlan

struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan", abstract: "Show how a job would be sharded into windows, tiles and step blocks.",
        discussion: """
            Prints the latent shape, the temporal windows and spatial tiles with their latent \
            ranges (end exclusive), the step blocks, the shard count and graph depth, and the \
            transformer FLOPs. With --json, prints the same as one JSON object; in loop mode a \
            wrapping window's "end" exceeds the latent frame count and is read modulo it.
            """)

    @OptionGroup var job: JobOptions
    @OptionGroup var conditioning: ConditioningOptions

    @Flag(help: "Print one JSON object instead of a table.")
    var json = false

    @Option(help: "Latent frames a decode chunk is warmed up with: the VAE decoder's receptive field (38 for Wan 2.1's VAE, 30 for the tiny preset; workers report theirs).")
    var decodeWarmup = 38

    @Option(help: "The fewest latent frames per decode chunk (the coordinator's setting).")
    var decodeChunk = 8

    @Option(
        name: .customLong("prompt-at"),
        help: "SECONDS:TEXT, repeatable: a prompt timeline; shows which prompts each window mixes, and with what weights (`reel submit --prompt-at` renders them).")
    var promptAt: [TimedPromptArgument] = []

    @Option(help: "With --prompt-at: the prompt before the first timed one.")
    var prompt: String?

    func validate() throws {
        guard (0 ... 4096).contains(decodeWarmup) else { throw ValidationError("--decode-warmup must be 0…4096") }
        guard (1 ... 4096).contains(decodeChunk) else { throw ValidationError("--decode-chunk must be 1…4096") }
        // Building the plan checks every job flag against the model, so bad input is
        // reported before any work, with the message naming the value to change.
        let resolved = try job.resolve()
        if !promptAt.isEmpty { _ = try timeline(resolved.plan) }
        if !conditioning.isEmpty { _ = try conditioning.items(for: resolved.plan) }
    }

    /// The timeline of --prompt-at (and --prompt before it) for `plan`'s clip, checked
    /// by the rules `reel submit` is held to (``JobRequest/timeline(plan:)``).
    func timeline(_ plan: Plan) throws -> PromptTimeline {
        let request = JobRequest(model: plan.geometry.model.name, prompt: prompt, prompts: promptAt.map(\.value))
        let timeline: PromptTimeline?
        do { timeline = try request.timeline(plan: plan) } catch { throw ValidationError(error.description) }
        guard let timeline else { throw ValidationError("give --prompt-at SECONDS:TEXT") }
        return timeline
    }

    func run() throws {
        let resolved = try job.resolve()
        var report = Report(plan: resolved.plan, guidance: resolved.guidance, automaticTiles: resolved.automaticTiles)
        let size = DecodeChunk.size(warmup: decodeWarmup, minimum: decodeChunk, maxOverhead: 0.3)
        let chunks = resolved.plan.decodeChunks(size: size, warmup: decodeWarmup)
        if !promptAt.isEmpty { report.add(try timeline(resolved.plan), plan: resolved.plan) }
        report.decode = Report.Decode(chunks: chunks.count, chunkFrames: size, warmup: decodeWarmup, workRatio: DecodeChunk.workRatio(chunks))
        print(json ? try report.json() : report.table())
        if !json && !conditioning.isEmpty { print(try Self.conditioningLines(conditioning.items(for: resolved.plan), plan: resolved.plan)) }
    }

    /// Which shards see each conditioning item, and whether the output joins its source.
    static func conditioningLines(_ items: [(item: ConditioningItem, file: String)], plan: Plan) throws -> String {
        let placed = try ConditioningPlan(plan: plan, items: items.map(\.item))
        var lines = ["conditioning (`reel submit` uploads each file and renders it):"]
        for (index, resolved) in placed.items.enumerated() {
            let file = items.first { $0.item.source == resolved.item.source }?.file ?? "?"
            let frames = resolved.box.frames
            let mode = resolved.item.mode == .pin ? "pinned" : "edit from step \(placed.firstStep) (strength \(resolved.item.strength ?? 0))"
            lines.append(
                "  \(file) (\(resolved.item.source.kind.rawValue), sha256 \(resolved.item.source.digest.prefix(12))…): latent frames "
                    + "\(frames.start)..<\(frames.start + frames.length), \(mode), fit \((resolved.item.fit ?? .crop).rawValue), "
                    + "\(placed.shards(seeing: index).count) shards"
                    + (resolved.item.join == true ? ", the output holds the rest of the source \(resolved.box.frames.start == 0 ? "before" : "after") the clip" : ""))
        }
        return lines.joined(separator: "\n")
    }
}

extension PlanCommand {
    /// What `reel plan` prints, as a value: encoded as JSON (snake_case keys) or
    /// rendered as a table.
    struct Report: Encodable {
        struct Job: Encodable {
            var frames: Int
            var fps: Int
            var seconds: Double
            var width: Int
            var height: Int
            var model: String
            var loop: Bool
        }
        struct Window: Encodable {
            var index: Int
            var start: Int
            /// Exclusive; exceeds the latent frame count when the window wraps.
            var end: Int
            var length: Int
            var wraps: Bool
            /// With a prompt timeline: the prompts this window mixes and their weights.
            var prompts: [PromptWeight]?
        }
        struct Range: Encodable {
            var start: Int
            var end: Int
        }
        struct Tile: Encodable {
            var index: Int
            var rows: Range
            var columns: Range
        }
        /// The tile size and overlap in latent pixels, and whether they were chosen
        /// automatically (frame above the model's native size, no --tile).
        struct TileSize: Encodable {
            var width: Int
            var height: Int
            var overlap: Int
            var automatic: Bool
            var nativeWidth: Int
            var nativeHeight: Int
        }
        struct Block: Encodable {
            var index: Int
            var start: Int
            var end: Int
        }
        /// One (region, step block) unit of work, with the shards it waits for.
        struct Shard: Encodable {
            var index: Int
            var region: Int
            var window: Int
            var tile: Int
            var block: Int
            var steps: Range
            var dependsOn: [Int]
        }
        /// The decode stage: chunks decoded apart, each warmed up by the decoder's
        /// receptive field; `work_ratio` is decoded latent frames (warm-up counted
        /// whole) over the clip's, at most 1.3 on clips longer than the warm-up.
        struct Decode: Encodable {
            var chunks: Int
            var chunkFrames: Int
            var warmup: Int
            var workRatio: Double
        }
        struct Compute: Encodable {
            var guidance: Bool
            var totalFlops: Double
            var singlePassFlops: Double
            var overhead: Double
        }

        var job: Job
        var latentShape: [Int]
        var tokens: Int
        var window: Int
        var overlap: Int
        var windows: [Window]
        var tiles: [Tile]
        /// nil when frames are whole (one tile).
        var tileSize: TileSize?
        var blocks: [Block]
        var steps: Int
        var blendEvery: Int
        var regions: Int
        var shardCount: Int
        var shards: [Shard]
        var graphDepth: Int
        var compute: Compute
        var decode: Decode?
        /// With a prompt timeline: its prompts in time order (windows index into it).
        var promptTimeline: [TimedPrompt]?

        /// Adds each window's prompt weights (``Plan/promptWeights(_:)``).
        mutating func add(_ timeline: PromptTimeline, plan: Plan) {
            promptTimeline = timeline.prompts
            for (w, weights) in plan.promptWeights(timeline).enumerated() { windows[w].prompts = weights }
        }

        init(plan: Plan, guidance: Bool, automaticTiles: Bool = false) {
            let g = plan.geometry
            job = Job(
                frames: g.job.frames, fps: g.job.fps, seconds: g.job.seconds, width: g.job.width,
                height: g.job.height, model: g.model.name, loop: plan.config.loop)
            latentShape = plan.latent.dimensions
            tokens = g.tokens
            window = plan.windows[0].length
            overlap = plan.windows.count > 1 ? plan.config.overlap : 0
            windows = plan.windows.enumerated().map { i, w in
                Window(index: i, start: w.start, end: w.end, length: w.length, wraps: w.wraps)
            }
            tiles = plan.tiles.map {
                Tile(
                    index: $0.index, rows: Range(start: $0.rows.start, end: $0.rows.end),
                    columns: Range(start: $0.columns.start, end: $0.columns.end))
            }
            let native = g.model.nativeSize
            tileSize = plan.config.tile.map {
                TileSize(
                    width: min($0.width, plan.latent.width), height: min($0.height, plan.latent.height),
                    overlap: $0.overlap, automatic: automaticTiles, nativeWidth: native.width, nativeHeight: native.height)
            }
            blocks = plan.blocks.map { Block(index: $0.index, start: $0.start, end: $0.end) }
            steps = plan.schedule.steps
            blendEvery = plan.schedule.blendEvery
            regions = plan.regions.count
            shardCount = plan.shardCount
            let ids = plan.shards
            let position = Dictionary(uniqueKeysWithValues: ids.enumerated().map { ($1, $0) })
            shards = ids.enumerated().map { i, id in
                let region = plan.regions[id.region], block = plan.blocks[id.block]
                return Shard(
                    index: i, region: id.region, window: region.window, tile: region.tile, block: id.block,
                    steps: Range(start: block.start, end: block.end),
                    dependsOn: plan.dependencies(of: id).compactMap { position[$0] }.sorted())
            }
            graphDepth = plan.graphDepth
            let estimate = plan.computeEstimate(guidance: guidance)
            compute = Compute(
                guidance: guidance, totalFlops: estimate.total, singlePassFlops: estimate.singlePass,
                overhead: estimate.overhead)
            temporalStride = g.model.temporalStride
            spatialStride = g.model.spatialStride
        }

        // Kept out of the JSON (CodingKeys below) and used only to print pixel ranges.
        private var temporalStride: Int
        private var spatialStride: Int

        private enum CodingKeys: String, CodingKey {
            case job, latentShape, tokens, window, overlap, windows, tiles, tileSize, blocks, steps, blendEvery
            case regions, shardCount, shards, graphDepth, compute, decode, promptTimeline
        }

        func json() throws -> String {
            let encoder = JSONEncoder()
            encoder.keyEncodingStrategy = .convertToSnakeCase
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
            return String(decoding: try encoder.encode(self), as: UTF8.self)
        }

        func table() -> String {
            let frames = latentShape[1]
            var lines: [String] = []
            lines.append(
                "job       \(job.frames) frames at \(job.fps) fps (\(fixed(job.seconds, 2)) s), "
                    + "\(job.width)x\(job.height), \(job.model)"
                    // A loop is decoded as a circle, every latent frame 4 pixel frames.
                    + (job.loop ? ", loop (decoded as a circle: \(temporalStride * frames) frames)" : ""))
            lines.append(
                "latent    [\(latentShape.map(String.init).joined(separator: ", "))] (C, F, H, W), "
                    + "\(tokens) tokens")
            let stride = windows.count > 1 ? " (stride \(window - overlap))" : ""
            lines.append("windows   \(windows.count) of \(window) latent frames, overlap \(overlap)\(stride)")
            lines.append(pad("  #", 6) + pad("latent frames", 26) + "pixel frames")
            for w in windows {
                let latent = w.wraps ? "[\(w.start), \(w.end)) wraps" : "[\(w.start), \(w.end))"
                let prompts = w.prompts.map { "   " + $0.map { "#\($0.prompt) \(fixed($0.weight, 3))" }.joined(separator: " + ") } ?? ""
                lines.append(pad("  \(w.index)", 6) + pad(latent, 26) + pixelFrames(w, frames: frames) + prompts)
            }
            if let promptTimeline {
                lines.append("prompts   \(promptTimeline.count) (each window's text embedding is the weighted mix shown above)")
                for (i, p) in promptTimeline.enumerated() { lines.append("  #\(i) from \(fixed(p.at, 2)) s: \(p.text)") }
            }
            if tiles.count > 1 {
                let size = tileSize.map { t in
                    " of \(t.width)x\(t.height) latent (\(t.width * spatialStride)x\(t.height * spatialStride) pixels), overlap \(t.overlap)"
                        + (t.automatic ? "; automatic: the frame is above the model's native \(t.nativeWidth)x\(t.nativeHeight) (set --tile to choose)" : "")
                } ?? ""
                lines.append("tiles     \(tiles.count)\(size)")
                lines.append(pad("  #", 6) + pad("latent rows", 14) + pad("latent columns", 16) + "pixels (y, x)")
                for t in tiles {
                    let pixels =
                        "[\(t.rows.start * spatialStride), \(t.rows.end * spatialStride)) × "
                        + "[\(t.columns.start * spatialStride), \(t.columns.end * spatialStride))"
                    lines.append(
                        pad("  \(t.index)", 6) + pad("[\(t.rows.start), \(t.rows.end))", 14)
                            + pad("[\(t.columns.start), \(t.columns.end))", 16) + pixels)
                }
            } else {
                lines.append("tiles     1 (whole frame, \(latentShape[2])x\(latentShape[3]) latent)")
            }
            lines.append("blocks    \(blocks.count) over \(steps) steps, blend every \(blendEvery)")
            lines.append("  " + blocks.map { "[\($0.start), \($0.end))" }.joined(separator: " "))
            lines.append("shards    \(shardCount) = \(regions) regions × \(blocks.count) blocks, graph depth \(graphDepth)")
            let passes = compute.guidance ? "with classifier-free guidance (2 passes per step)" : "without guidance"
            lines.append("compute   \(flops(compute.totalFlops)) in the transformer, \(passes)")
            lines.append(
                "          vs. \(flops(compute.singlePassFlops)) for one pass over the whole clip "
                    + "(×\(fixed(compute.overhead, 2)); attention is quadratic in tokens)")
            if let decode {
                lines.append(
                    "decode    \(decode.chunks) chunk\(decode.chunks == 1 ? "" : "s") of up to \(decode.chunkFrames) latent frames, "
                        + "warm-up \(decode.warmup): decode work \(fixed(decode.workRatio, 2))× a sequential decode")
            }
            return lines.joined(separator: "\n")
        }

        /// Pixel frames a latent window decodes to: latent 0 is pixel 0, latent k ≥ 1 is
        /// pixels `s(k − 1) + 1 … s·k` for temporal stride s; a loop is decoded as a
        /// circle, where latent k is pixels `s·k … s·k + s − 1`.
        private func pixelFrames(_ w: Window, frames: Int) -> String {
            func range(_ start: Int, _ end: Int) -> String {
                if job.loop { return "\(temporalStride * start)–\(temporalStride * end - 1)" }
                let first = start == 0 ? 0 : temporalStride * (start - 1) + 1
                return "\(first)–\(temporalStride * (end - 1))"
            }
            guard w.wraps else { return range(w.start, w.end) }
            return range(w.start, frames) + " + " + range(0, w.end - frames)
        }

        private func flops(_ value: Double) -> String {
            let units: [(Double, String)] = [(1e18, "E"), (1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M")]
            for (scale, prefix) in units where value >= scale { return "\(fixed(value / scale, 2)) \(prefix)FLOP" }
            return "\(fixed(value, 0)) FLOP"
        }

        private func fixed(_ value: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", value) }

        private func pad(_ s: String, _ width: Int) -> String {
            s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count)
        }
    }
}

/// `SECONDS:TEXT` for `--prompt-at` (the text may contain colons).
struct TimedPromptArgument: ExpressibleByArgument {
    var value: TimedPrompt

    init?(argument: String) {
        guard let colon = argument.firstIndex(of: ":"), let at = Double(argument[..<colon]) else { return nil }
        value = TimedPrompt(at: at, text: String(argument[argument.index(after: colon)...]))
    }
}
