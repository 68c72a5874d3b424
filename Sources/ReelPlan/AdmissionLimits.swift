/// The largest job a coordinator accepts: bounds on length, frame size, steps,
/// how many pieces the plan cuts it into, prompt length and priority.
///
/// A job over a bound would hang planning, exhaust the coordinator's memory at
/// the first dispatch or the final blend (and again after every restart), or
/// bloat the database; ``check(_:model:)`` refuses it before anything is planned
/// or stored. Operators raise the bounds with the coordinator's `--max-*` flags
/// (each ``AdmissionError`` names its flag).
///
/// Defaults:
/// - `maxFrames` 9,601: ten minutes at 16 fps (9,600 frames) plus the causal VAE's first frame.
/// - `maxSide` 3,840 and `maxPixels` 3,840 × 2,160: 4K UHD frames.
/// - `maxClipPixels` 9,601 × 1,280 × 720: ten minutes of 720p. The coordinator
///   holds the whole clip's latent through the final blend (about 10 GB at this size).
/// - `maxSteps` 1,000: Wan samples in 50; more buys nothing.
/// - `maxTiles` 256 per frame, `maxRegions` 10,000 (windows × tiles) and
///   `maxShards` 100,000 (regions × blocks): a ten-minute 720p job is 150
///   regions and 1,500 shards at the default plan.
/// - `maxPromptCharacters` 10,000 for the prompt and for the negative prompt: far
///   beyond what a text encoder reads (512 tokens for umT5), short enough to store.
/// - `maxPriority` 1,000: priorities in -1,000...1,000.
public struct AdmissionLimits: Hashable, Sendable, Codable {
    /// Pixel frames in the clip (a clip given in seconds counts the frames it becomes).
    public var maxFrames: Int
    /// Frame width, and frame height, in pixels.
    public var maxSide: Int
    /// Pixels in one frame (width × height).
    public var maxPixels: Int
    /// Pixels in the whole clip (frames × width × height).
    public var maxClipPixels: Int
    /// Sampling steps.
    public var maxSteps: Int
    /// Spatial tiles per frame.
    public var maxTiles: Int
    /// Regions: temporal windows × tiles.
    public var maxRegions: Int
    /// Shards: regions × step blocks.
    public var maxShards: Int
    /// Characters in the prompt, and in the negative prompt.
    public var maxPromptCharacters: Int
    /// Priorities must lie in `-maxPriority...maxPriority`.
    public var maxPriority: Int

    public init(
        maxFrames: Int = 9_601, maxSide: Int = 3_840, maxPixels: Int = 3_840 * 2_160,
        maxClipPixels: Int = 9_601 * 1_280 * 720, maxSteps: Int = 1_000, maxTiles: Int = 256,
        maxRegions: Int = 10_000, maxShards: Int = 100_000, maxPromptCharacters: Int = 10_000,
        maxPriority: Int = 1_000
    ) {
        self.maxFrames = maxFrames
        self.maxSide = maxSide
        self.maxPixels = maxPixels
        self.maxClipPixels = maxClipPixels
        self.maxSteps = maxSteps
        self.maxTiles = maxTiles
        self.maxRegions = maxRegions
        self.maxShards = maxShards
        self.maxPromptCharacters = maxPromptCharacters
        self.maxPriority = maxPriority
    }

    /// The defaults listed above.
    public static let `default` = AdmissionLimits()

    /// Refuses `request` if it exceeds a limit. Pure and constant-time: nothing is
    /// laid out, so a request for 10⁹ frames costs no more to refuse than a small one.
    ///
    /// With `model` (the geometry workers offer under the request's name), the
    /// plan's tiles, regions and shards are counted too; without it, those counts
    /// wait for the model. Values that are merely invalid (a negative width, an
    /// overlap as large as its window) are left to planning, whose errors say
    /// what would be valid.
    ///
    /// - Throws: ``AdmissionError`` naming the quantity, its value, the limit and its flag.
    public func check(_ request: JobRequest, model: ModelGeometry? = nil) throws(AdmissionError) {
        try checkCharacters(.prompt, request.prompt)
        try checkCharacters(.negativePrompt, request.negativePrompt)
        guard (-maxPriority...maxPriority).contains(request.priority) else {
            throw .priorityOutOfRange(value: request.priority, limit: maxPriority)
        }
        let frames = try frameCount(request, temporalStride: model?.temporalStride)
        try checkAtMost(.width, request.width, maxSide)
        try checkAtMost(.height, request.height, maxSide)
        // Both sides are bounded now, but the limits are the operator's: multiply safely.
        let pixels = try product(.pixels, request.width, request.height, limit: maxPixels)
        _ = try product(.clipPixels, frames, pixels, limit: maxClipPixels)
        try checkAtMost(.steps, request.plan.steps, maxSteps)
        if let model { try checkCounts(request, frames: frames, model: model) }
    }

    /// The clip's pixel frames: as given, or `seconds` at `fps` (rounded up to the
    /// VAE's `stride·k + 1` when the stride is known), or planning's default of 81.
    private func frameCount(_ request: JobRequest, temporalStride: Int?) throws(AdmissionError) -> Int {
        if let frames = request.frames {
            try checkAtMost(.frames, frames, maxFrames)
            if request.seconds == nil { return frames }
        }
        guard let seconds = request.seconds else { return try checkAtMost(.frames, 81, maxFrames) }
        let raw = (seconds * Double(request.fps)).rounded()
        // Written so that NaN fails too; planning refuses seconds ≤ 0 and fps < 1 itself.
        guard raw <= Double(maxFrames) else {
            throw .tooLong(seconds: seconds, fps: request.fps, limit: maxFrames)
        }
        let frames = raw >= 1 ? Int(raw) : 1
        guard let stride = temporalStride, stride >= 1 else { return frames }
        let valid = JobSpec.validFrameCount(atLeast: frames, temporalStride: stride)
        guard valid <= maxFrames else { throw .tooLong(seconds: seconds, fps: request.fps, limit: maxFrames) }
        return valid
    }

    /// Tiles per frame, regions and shards, counted the way ``Plan`` lays them out.
    private func checkCounts(_ request: JobRequest, frames: Int, model: ModelGeometry) throws(AdmissionError) {
        let config = request.plan
        guard (try? config.validate(patch: model.patch)) != nil, model.temporalStride >= 1, model.spatialStride >= 1,
            frames >= 1, request.width >= model.spatialStride, request.height >= model.spatialStride,
            let schedule = try? StepSchedule(
                steps: config.steps, blendEvery: config.blendEvery, firstBlock: config.firstBlock,
                lastBlock: config.lastBlock)
        else { return }
        let latentFrames = (frames - 1) / model.temporalStride + 1
        let windows = Span.layoutCount(
            axisLength: latentFrames, size: config.window, overlap: config.overlap, cyclic: config.loop)
        var rows = 1, columns = 1
        // The tiles planning will use: the job's own, or the automatic ones above the native size.
        let size = PixelSize(width: request.width, height: request.height)
        if let tile = config.tile ?? TileSpec.automatic(for: size, model: model) {
            rows = Span.layoutCount(axisLength: request.height / model.spatialStride, size: tile.height, overlap: tile.overlap)
            columns = Span.layoutCount(axisLength: request.width / model.spatialStride, size: tile.width, overlap: tile.overlap)
        }
        let tiles = try product(.tiles, rows, columns, limit: maxTiles)
        let regions = try product(.regions, windows, tiles, limit: maxRegions)
        _ = try product(.shards, regions, schedule.blocks.count, limit: maxShards)
    }

    private func checkCharacters(_ quantity: AdmissionError.Quantity, _ text: String?) throws(AdmissionError) {
        guard let text else { return }
        try checkAtMost(quantity, text.count, maxPromptCharacters)
    }

    @discardableResult
    private func checkAtMost(_ quantity: AdmissionError.Quantity, _ value: Int, _ limit: Int) throws(AdmissionError) -> Int {
        guard value <= limit else { throw .exceeds(quantity, value: value, limit: limit) }
        return value
    }

    /// `a × b`, refused as `quantity` above `limit` (an overflow is above any limit).
    /// A negative factor, which planning refuses, counts as 0.
    private func product(_ quantity: AdmissionError.Quantity, _ a: Int, _ b: Int, limit: Int) throws(AdmissionError) -> Int {
        guard a >= 0, b >= 0 else { return 0 }
        let (value, overflow) = a.multipliedReportingOverflow(by: b)
        guard !overflow else { throw .exceeds(quantity, value: .max, limit: limit) }
        return try checkAtMost(quantity, value, limit)
    }
}
