import Testing
import ReelPlan

/// Which conditioning items are encoded in later form (``SourceForm``): the items the
/// CLI's flags make (`ConditioningOptions`), placed on a 161-frame (41 latent) clip,
/// each with the form worked out by hand from where the clip's decode reads it.
@Suite struct SourceFormTests {
    static let (a, b) = (String(repeating: "a", count: 64), String(repeating: "b", count: 64))

    static func forms(_ items: [ConditioningItem], loop: Bool = false, clipStart: SourceForm? = nil) throws -> [SourceForm] {
        var model = ModelGeometry.wan21_1_3B
        model.firstLatentForm = clipStart
        let geometry = try ClipGeometry(job: JobSpec(frames: 161, fps: 16, width: 832, height: 480), model: model)
        let plan = try Plan(geometry: geometry, config: PlanConfig(window: 21, overlap: 5, loop: loop))
        return try ConditioningPlan(plan: plan, items: items).items.map(\.form)
    }

    static func video(_ digest: String, first: Int = 0, frames: Int, at frame: Int) -> ConditioningItem {
        ConditioningItem(source: ConditioningSource(kind: .video, digest: digest, firstFrame: first, frameCount: frames), frame: frame)
    }

    @Test func aPinThatStartsTheClipsDecodeKeepsFirstForm() throws {
        // `--image FILE`: latent frame 0 of a clip decoded start to end is one pixel frame.
        #expect(try Self.forms([ConditioningPlanTests.image(frame: 0)]) == [.first])
        // `--extend VIDEO`: its last 41 frames at the clip's start.
        #expect(try Self.forms([Self.video(Self.b, first: 59, frames: 41, at: 0)]) == [.first])
        // `--edit VIDEO --strength 0.5`: the denoiser reworks it; kept as today.
        let edit = ConditioningPlanTests.video(frames: 161, mode: .start, strength: 0.5)
        #expect(try Self.forms([edit]) == [.first])
    }

    @Test func aPinAfterLatentFrameZeroIsLaterForm() throws {
        // `--keyframe FILE@4` at 16 fps: pixel 64, latent frame 16.
        #expect(try Self.forms([ConditioningPlanTests.image(frame: 64)]) == [.later])
        // `--image FILE --at 0.25`: pixel 4, latent frame 1, the first later-form position.
        #expect(try Self.forms([ConditioningPlanTests.image(frame: 4)]) == [.later])
        // `--connect A B`: A's last frame at frame 0 keeps first form, B's first at the last frame (160) does not.
        let connect = [Self.video(Self.a, first: 40, frames: 1, at: 0), Self.video(Self.b, frames: 1, at: 160)]
        #expect(try Self.forms(connect) == [.first, .later])
        // `--extend VIDEO --backward`: its first 41 frames end the clip, latent frames 30…40.
        #expect(try Self.forms([Self.video(Self.b, frames: 41, at: 120)]) == [.later])
    }

    @Test func everyPinOfALoopIsLaterForm() throws {
        // A loop is decoded as a circle: latent frame 0 is 4 pixel frames like every other.
        #expect(try Self.forms([ConditioningPlanTests.image(frame: 0)], loop: true) == [.later])
        #expect(try Self.forms([ConditioningPlanTests.image(frame: 64)], loop: true) == [.later])
    }

    @Test func everySourceOfAModelThatDrawsLatentFrameZeroInLaterFormIsLaterForm() throws {
        // The demo model (reel.json: "first_latent_form": "later"): its clips decode latent
        // frame 0 as a later frame, so a pin there is later form, and so is an edit's start.
        let edit = ConditioningPlanTests.video(frames: 161, mode: .start, strength: 0.5)
        let items = [ConditioningPlanTests.image(frame: 0), Self.video(Self.b, first: 59, frames: 41, at: 40), edit]
        for item in items { #expect(try Self.forms([item], clipStart: .later) == [.later], "\(item)") }
        // Said as "first" it is Wan's own rule.
        #expect(try Self.forms([ConditioningPlanTests.image(frame: 0)], clipStart: .first) == [.first])
    }
}
