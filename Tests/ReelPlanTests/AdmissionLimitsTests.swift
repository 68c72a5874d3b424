import PropertyBased
import Testing
import ReelPlan

/// Admission: oversized jobs are refused before planning, by a message that names
/// the quantity, its value, the limit and the flag. Expected limits are the
/// documented defaults, written out here.
@Suite struct AdmissionLimitsTests {
    let limits = AdmissionLimits.default
    let wan = ModelGeometry.wan21_1_3B

    /// The text of the error `check` throws, or nil if it admits the request.
    func refusal(_ request: JobRequest, model: ModelGeometry? = nil, limits: AdmissionLimits = .default) -> String? {
        do throws(AdmissionError) {
            try limits.check(request, model: model)
            return nil
        } catch {
            return error.description
        }
    }

    func job(frames: Int? = nil, seconds: Double? = nil, width: Int = 832, height: Int = 480, plan: PlanConfig = .default) -> JobRequest {
        JobRequest(model: "wan", prompt: "a fox", frames: frames, seconds: seconds, width: width, height: height, plan: plan)
    }

    @Test func aBillionFramesIsRefusedNamingTheLimit() {
        #expect(refusal(job(frames: 1_000_000_000)) == "frames 1000000000 exceeds the limit 9601 (--max-frames)")
        // With or without the model: the check needs no worker to be connected.
        #expect(refusal(job(frames: 1_000_000_000), model: wan) == "frames 1000000000 exceeds the limit 9601 (--max-frames)")
    }

    @Test func aMillionPixelWideFrameIsRefusedNamingTheLimit() {
        #expect(refusal(job(frames: 81, width: 1_000_000)) == "width 1000000 exceeds the limit 3840 (--max-side)")
        #expect(refusal(job(frames: 81, height: 1_000_000)) == "height 1000000 exceeds the limit 3840 (--max-side)")
        // Both sides allowed, the area not: 3840 × 3840 = 14745600 > 3840 × 2160.
        #expect(refusal(job(frames: 81, width: 3840, height: 3840)) == "pixels per frame 14745600 exceeds the limit 8294400 (--max-pixels)")
    }

    @Test func tenMinutesAt16FpsIsTheLongestDefaultClip() {
        #expect(refusal(job(seconds: 600), model: wan) == nil)
        #expect(refusal(job(frames: 9601), model: wan) == nil)
        #expect(refusal(job(frames: 9605), model: wan) == "frames 9605 exceeds the limit 9601 (--max-frames)")
        // 600.1 s is 9601.6 frames, rounded to 9602, which the VAE needs as 9605.
        #expect(refusal(job(seconds: 600.1), model: wan) == "seconds 600.1 at 16 fps exceeds the limit of 9601 frames (--max-frames)")
        #expect(refusal(job(seconds: 1e300)) == "seconds 1e+300 at 16 fps exceeds the limit of 9601 frames (--max-frames)")
        #expect(refusal(job(seconds: .nan))?.contains("--max-frames") == true)
    }

    @Test func tenMinutesOf1080pIsMoreThanTheCoordinatorHolds() {
        // 9601 × 1920 × 1080 = 19908633600 > 9601 × 1280 × 720 = 8848281600.
        #expect(refusal(job(frames: 9601, width: 1920, height: 1080))
            == "pixels in the clip 19908633600 exceeds the limit 8848281600 (--max-clip-pixels)")
        #expect(refusal(job(frames: 9601, width: 1280, height: 720)) == nil)
    }

    @Test func stepsPromptsAndPriorityAreBounded() {
        var request = job(frames: 81)
        request.plan.steps = 100_000_000
        #expect(refusal(request) == "steps 100000000 exceeds the limit 1000 (--max-steps)")
        request = job(frames: 81)
        request.prompt = String(repeating: "é", count: 10_000)
        #expect(refusal(request) == nil)
        request.prompt! += "x"
        #expect(refusal(request) == "prompt characters 10001 exceeds the limit 10000 (--max-prompt)")
        request = job(frames: 81)
        request.negativePrompt = String(repeating: "n", count: 20_000)
        #expect(refusal(request) == "negative prompt characters 20000 exceeds the limit 10000 (--max-prompt)")
        request = job(frames: 81)
        request.priority = -1000
        #expect(refusal(request) == nil)
        request.priority = 1001
        #expect(refusal(request) == "priority 1001 is outside the limit -1000...1000 (--max-priority)")
        request.priority = .min
        #expect(refusal(request) == "priority \(Int.min) is outside the limit -1000...1000 (--max-priority)")
    }

    @Test func tilesRegionsAndShardsAreCountedOnceTheModelIsKnown() {
        // 4K frames (480 × 270 latent) in 2 × 2 latent tiles without overlap: 135 × 240 tiles.
        let tiny = job(frames: 81, width: 3840, height: 2160, plan: PlanConfig(tile: TileSpec(width: 2, height: 2, overlap: 0)))
        #expect(refusal(tiny, model: wan) == "tiles per frame 32400 exceeds the limit 256 (--max-tiles)")
        #expect(refusal(tiny) == nil, "counting tiles needs the model's strides")
        // 9601 frames = 2401 latent frames; windows of 1 make 2401 regions per tile.
        let thin = PlanConfig(window: 1, overlap: 0, tile: TileSpec(width: 20, height: 12, overlap: 0), steps: 10, blendEvery: 10)
        // 832 × 480 is 104 × 60 latent: 6 × 5 tiles of 20 × 12 (the last ones moved back).
        #expect(refusal(job(frames: 9601, plan: thin), model: wan) == "regions 72030 exceeds the limit 10000 (--max-regions)")
        let steps = PlanConfig(window: 1, overlap: 0, steps: 1000, blendEvery: 1)
        #expect(refusal(job(frames: 9601, plan: steps), model: wan) == "shards 2401000 exceeds the limit 100000 (--max-shards)")
        // The default plan of a ten-minute clip: 150 windows × 10 blocks.
        #expect(refusal(job(frames: 9601), model: wan, limits: AdmissionLimits(maxRegions: 150, maxShards: 1500)) == nil)
        #expect(refusal(job(frames: 9601), model: wan, limits: AdmissionLimits(maxRegions: 149))
            == "regions 150 exceeds the limit 149 (--max-regions)")
    }

    @Test func invalidValuesAreLeftToPlanning() {
        // Planning names what would be valid; admission only bounds sizes.
        #expect(refusal(job(frames: 50, width: -16, height: 0), model: wan) == nil)
        #expect(refusal(job(frames: 81, plan: PlanConfig(window: 5, overlap: 5)), model: wan) == nil)
    }

    /// Admission counts tiles, regions and shards with formulas; the plan lays
    /// them out. Limits equal to the plan's counts admit it, one less refuses it.
    @Test func countsAgreeWithThePlan() async {
        await propertyCheck(input: PlanCase.generator) { c in
            let plan = try c.plan()
            let request = JobRequest(
                model: "tiny", prompt: "p", frames: c.job.frames, width: c.job.width, height: c.job.height, plan: c.config)
            let exact = AdmissionLimits(maxTiles: plan.tiles.count, maxRegions: plan.regions.count, maxShards: plan.shardCount)
            #expect(refusal(request, model: PlanCase.model, limits: exact) == nil, "\(c)")
            var fewer = exact
            fewer.maxTiles -= 1
            #expect(refusal(request, model: PlanCase.model, limits: fewer)?.contains("--max-tiles") == true, "\(c)")
            fewer = exact
            fewer.maxRegions -= 1
            #expect(refusal(request, model: PlanCase.model, limits: fewer)?.contains("--max-regions") == true, "\(c)")
            fewer = exact
            fewer.maxShards -= 1
            #expect(refusal(request, model: PlanCase.model, limits: fewer)?.contains("--max-shards") == true, "\(c)")
        }
    }
}
