/// A long-video job as a user submits it: what to generate (model, prompt, seed,
/// sampler settings), how long and large, and how to cut it. The coordinator
/// stores it verbatim (as JSON, snake_case keys: the `reel submit` job-file format)
/// and rebuilds the ``Plan`` from it after a restart.
///
/// Prompt embeddings are not part of the request: they travel as tensors beside
/// it and are stored by content address.
public struct JobRequest: Hashable, Sendable, Codable {
    /// A label for listings (not unique).
    public var name: String?
    /// The model folder name workers know it by.
    public var model: String
    /// The prompt text, when no embeddings file is given (see the stand-in embedder).
    public var prompt: String?
    /// The negative prompt text; with guidance > 1 it steers away from it.
    public var negativePrompt: String?
    /// Pixel frames (`temporalStride·k + 1`); nil when `seconds` is given.
    public var frames: Int?
    /// Clip length in seconds, rounded up to a valid frame count; nil when `frames` is given.
    public var seconds: Double?
    /// Frames per second of the output video.
    public var fps: Int
    /// Frame width in pixels.
    public var width: Int
    /// Frame height in pixels.
    public var height: Int
    /// Seed of the coordinate-keyed initial noise.
    public var seed: UInt64
    /// Classifier-free guidance scale (1 disables it).
    public var guidance: Double
    /// Flow shift; nil uses the model's scheduler config.
    public var shift: Double?
    /// Windows, tiles, step count and blocks.
    public var plan: PlanConfig
    /// Higher runs first.
    public var priority: Int
    /// The worker pool the job must run on (`reel worker --pool NAME`); nil: any worker.
    public var pool: String?
    /// A still image: one pixel frame (one latent frame), written as PNG instead of
    /// MP4 (`reel submit --still`). nil or false: a video.
    public var still: Bool?
    /// Known content placed on the timeline (image-to-video, extend, connect, keyframes,
    /// edit); nil or empty: text-to-video. Checked by ``ConditioningPlan``.
    public var conditioning: [ConditioningItem]?
    /// A prompt timeline (`reel submit --prompt-at SECONDS:TEXT`): each window is
    /// conditioned on the prompts over its span (``PromptTimeline``); nil: `prompt`
    /// alone. Checked and put in canonical form by ``timeline(plan:)`` and
    /// ``canonicalizingTimeline(plan:)``.
    public var prompts: [TimedPrompt]?

    public init(
        name: String? = nil, model: String, prompt: String? = nil, negativePrompt: String? = nil,
        frames: Int? = nil, seconds: Double? = nil, fps: Int = 16, width: Int = 832, height: Int = 480,
        seed: UInt64 = 0, guidance: Double = 5, shift: Double? = nil, plan: PlanConfig = .default, priority: Int = 0,
        pool: String? = nil, still: Bool? = nil, conditioning: [ConditioningItem]? = nil, prompts: [TimedPrompt]? = nil
    ) {
        self.name = name
        self.model = model
        self.prompt = prompt
        self.negativePrompt = negativePrompt
        self.frames = frames
        self.seconds = seconds
        self.fps = fps
        self.width = width
        self.height = height
        self.seed = seed
        self.guidance = guidance
        self.shift = shift
        self.plan = plan
        self.priority = priority
        self.pool = pool
        self.still = still
        self.conditioning = conditioning
        self.prompts = prompts
    }

    /// Whether the job renders a still (``still`` set to true).
    public var isStill: Bool { still == true }

    /// What a pool may be called (a worker's `--pool` and a job's `pool` alike):
    /// 1–64 ASCII letters, digits, '-', '_' or '.'.
    public static func isPoolName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 64 && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
    }

    /// The pixel request for `model`'s temporal stride: `frames` as given, or
    /// `seconds` rounded up to a valid count (81 frames when neither is set).
    public func spec(temporalStride: Int) throws(PlanError) -> JobSpec {
        if isStill {
            // One pixel frame is one latent frame for any causal VAE.
            if let seconds { throw .stillLength("seconds \(seconds)") }
            if let frames, frames != 1 { throw .stillLength("frames \(frames)") }
            return JobSpec(frames: 1, fps: fps, width: width, height: height)
        }
        if let seconds {
            guard frames == nil else {
                throw .outOfRangeReal(.seconds, value: seconds, expected: "either frames or seconds, not both")
            }
            return try JobSpec(seconds: seconds, fps: fps, width: width, height: height, temporalStride: temporalStride)
        }
        return JobSpec(frames: frames ?? 81, fps: fps, width: width, height: height)
    }

    /// Checks the request against `model` and cuts it into shards, with automatic
    /// spatial tiles (``TileSpec/automatic(for:model:)``) when `plan.tile` is nil.
    ///
    /// - Throws: ``PlanError`` naming the value to change.
    public func makePlan(model: ModelGeometry) throws(PlanError) -> Plan {
        guard guidance.isFinite, guidance >= 0 else {
            throw .outOfRangeReal(.guidanceScale, value: guidance, expected: "a number ≥ 0 (1 disables guidance)")
        }
        if let shift, !(shift.isFinite && shift > 0) {
            throw .outOfRangeReal(.shift, value: shift, expected: "a positive number such as 3.0 (Wan 480p) or 5.0 (720p)")
        }
        let geometry = try ClipGeometry(job: try spec(temporalStride: model.temporalStride), model: model)
        // Frames above the model's native size get spatial tiles unless the job sets its own.
        return try Plan(geometry: geometry, config: plan.resolvingTiles(for: geometry))
    }

    /// Whether sampling runs the negative branch: guidance above 1 (WanPipeline's rule).
    public var usesGuidance: Bool { guidance > 1 }
}
