import Foundation
import Testing
import ReelPlan

/// A still is a job of one pixel frame (one latent frame): one window, tiles
/// above the native size, refused with a length.
@Suite struct StillPlanTests {
    let wan = ModelGeometry.wan21_1_3B

    @Test func aStillIsOneLatentFrameInOneWindow() throws {
        let plan = try JobRequest(model: "wan", prompt: "a kite", width: 832, height: 480, still: true).makePlan(model: wan)
        #expect(plan.geometry.job.frames == 1)
        #expect(plan.latent.dimensions == [16, 1, 60, 104])
        #expect(plan.windows.count == 1 && plan.tiles.count == 1)
        // frames 1 is the same still, said explicitly.
        let explicit = try JobRequest(model: "wan", prompt: "a kite", frames: 1, still: true).makePlan(model: wan)
        #expect(explicit.latent == plan.latent)
    }

    @Test func aStillWithALengthIsRefusedSayingWhatToLeaveOut() {
        #expect(throws: PlanError.stillLength("frames 81")) {
            try JobRequest(model: "wan", prompt: "a kite", frames: 81, still: true).makePlan(model: wan)
        }
        #expect(throws: PlanError.stillLength("seconds 2.0")) {
            try JobRequest(model: "wan", prompt: "a kite", seconds: 2, still: true).makePlan(model: wan)
        }
        #expect(PlanError.stillLength("frames 81").description
            == "a still is one frame, but frames 81 was given: leave out --frames and --seconds (or give --frames 1).")
    }

    @Test func theJobFileFieldIsStillAndOlderJobsAreVideos() throws {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let still = try decoder.decode(
            JobRequest.self, from: Data(#"{"model": "wan", "fps": 16, "width": 2048, "height": 2048, "seed": 1, "guidance": 5, "priority": 0, "still": true, "plan": {"window": 21, "overlap": 5, "loop": false, "steps": 50, "blend_every": 5, "blend_floor": 0.05}}"#.utf8))
        #expect(still.isStill)
        #expect(try still.makePlan(model: wan).tiles.count == 15)
        let video = try decoder.decode(
            JobRequest.self, from: Data(#"{"model": "wan", "fps": 16, "width": 832, "height": 480, "seed": 1, "guidance": 5, "priority": 0, "plan": {"window": 21, "overlap": 5, "loop": false, "steps": 50, "blend_every": 5, "blend_floor": 0.05}}"#.utf8))
        #expect(!video.isStill)
        #expect(try video.makePlan(model: wan).geometry.job.frames == 81)
    }
}
