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
}
