import Foundation
import ReelModel
import ReelPlan
import Testing

/// The conditioning arithmetic against diffusers (`Deploy/reference/make_conditioning_fixture.py`):
/// the strength → first-step rule of Wan's video-to-video pipeline, and the flow-matching
/// forward process `scale_noise` that pinning re-noises known latents with.
@Suite struct ConditioningArithmeticTests {
    struct Fixture: Decodable {
        let steps: Int
        let shift: Double
        let sigmas: [Float]
        let x0: [Float]
        let noise: [Float]
        let noised: [[Float]]
        let strengths: [Double]
        let first_steps: [Int]
    }

    static func fixture() throws -> Fixture {
        let path = FixtureCase.root + "/conditioning/scale_noise.json"
        return try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    }

    @Test func strengthMapsToTheFirstStepAsWansVideoToVideoPipelineDoes() throws {
        let f = try Self.fixture()
        let ours = f.strengths.map { StepSchedule.firstStep(strength: $0, steps: f.steps) }
        print("first steps: ours \(ours), diffusers \(f.first_steps)")
        #expect(ours == f.first_steps)
    }

    @Test func renoisingMatchesScaleNoiseAtEveryStep() throws {
        let f = try Self.fixture()
        let scheduler = try FlowMatchEulerDiscreteScheduler(config: SchedulerConfig(shift: f.shift), steps: f.steps)
        let sigmaDiff = zip(scheduler.sigmas, f.sigmas).map { abs($0 - $1) }.max() ?? .infinity
        print("sigmas: maxdiff \(sigmaDiff)")
        #expect(scheduler.sigmas.count == f.sigmas.count && sigmaDiff == 0)
        var worst: Float = 0
        for (i, reference) in f.noised.enumerated() {
            let ours = ConditioningPlan.noised(f.x0, noise: f.noise, sigma: scheduler.sigmas[i])
            worst = max(worst, zip(ours, reference).map { abs($0 - $1) }.max() ?? .infinity)
        }
        print("scale_noise over \(f.noised.count) noise levels: maxdiff \(worst)")
        #expect(worst <= 1e-6)
        // The last level is σ = 0: the pinned output is the known latents exactly.
        #expect(ConditioningPlan.noised(f.x0, noise: f.noise, sigma: scheduler.sigmas[f.steps]) == f.x0)
    }

    /// The write a worker does in its denoise loop (``ResolvedConditioning/write(known:sigma:into:box:noise:)``),
    /// over the fixture's whole `[2, 3, 2, 3]` latent with the fixture's noise, against
    /// `scale_noise` at every level; then a region that meets only the item's last frame.
    @Test func theDenoiseLoopsWriteMatchesScaleNoise() throws {
        let f = try Self.fixture()
        let scheduler = try FlowMatchEulerDiscreteScheduler(config: SchedulerConfig(shift: f.shift), steps: f.steps)
        let (c, t, h, w) = (2, 3, 2, 3)
        let whole = LatentBox(
            frames: Span(start: 0, length: t, axisLength: t), rows: .whole(h), columns: .whole(w), channels: c)
        let item = ResolvedConditioning(
            item: ConditioningItem(source: ConditioningSource(kind: .video, digest: String(repeating: "e", count: 64), frameCount: 9), latentFrame: 0),
            box: whole)
        let noise = { (ch: Int, fr: Int, y: Int, x: Int) in f.noise[((ch * t + fr) * h + y) * w + x] }
        var worst: Float = 0
        for (i, reference) in f.noised.enumerated() {
            var latents = [Float](repeating: .nan, count: whole.count)
            item.write(known: f.x0, sigma: scheduler.sigmas[i], into: &latents, box: whole, noise: noise)
            worst = max(worst, zip(latents, reference).map { abs($0 - $1) }.max() ?? .infinity)
        }
        print("denoise-loop write vs scale_noise: maxdiff \(worst)")
        #expect(worst <= 1e-6)
        // A region holding only frame 2 (and one beyond the item): frame 2 is written, the rest untouched.
        let region = LatentBox(frames: Span(start: 2, length: 1, axisLength: t), rows: .whole(h), columns: .whole(w), channels: c)
        var latents = [Float](repeating: 7, count: region.count)
        item.write(known: f.x0, sigma: scheduler.sigmas[f.steps], into: &latents, box: region, noise: noise)
        let frameTwo = (0..<c).flatMap { ch in (0..<(h * w)).map { f.x0[(ch * t + 2) * h * w + $0] } }
        #expect(latents == frameTwo, "σ = 0 writes the known latents exactly")
    }
}
