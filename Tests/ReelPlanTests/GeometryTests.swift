import Testing
import ReelPlan

@Suite struct GeometryTests {
    @Test func wanTenSecondsAt16FpsIs161FramesAnd41LatentFrames() throws {
        let job = try JobSpec(seconds: 10, fps: 16, width: 832, height: 480, temporalStride: 4)
        #expect(job.frames == 161)
        let clip = try ClipGeometry(job: job, model: .wan21_1_3B)
        #expect(clip.latent == LatentShape(channels: 16, frames: 41, height: 60, width: 104))
        #expect(clip.latent.dimensions == [16, 41, 60, 104])
        #expect(clip.tokens == 41 * 30 * 52)
    }

    @Test func secondsRoundToNearestFrameThenUpToTheNextValidCount() throws {
        // 5 s × 16 = 80 → 81; 5.03 s × 16 = 80.48 → 80 → 81; 5.04 s → 80.64 → 81 (valid).
        #expect(try JobSpec(seconds: 5, fps: 16, width: 16, height: 16, temporalStride: 4).frames == 81)
        #expect(try JobSpec(seconds: 5.03, fps: 16, width: 16, height: 16, temporalStride: 4).frames == 81)
        #expect(try JobSpec(seconds: 5.3, fps: 16, width: 16, height: 16, temporalStride: 4).frames == 85)
        #expect(try JobSpec(seconds: 0.01, fps: 16, width: 16, height: 16, temporalStride: 4).frames == 1)
        #expect(throws: PlanError.self) { try JobSpec(seconds: 0, fps: 16, width: 16, height: 16, temporalStride: 4) }
        #expect(throws: PlanError.self) { try JobSpec(seconds: -.nan, fps: 16, width: 16, height: 16, temporalStride: 4) }
    }

    @Test func framesThatTheCausalVAECannotEncodeNameTheNearestValidCounts() {
        let job = JobSpec(frames: 80, fps: 16, width: 832, height: 480)
        #expect(throws: PlanError.invalidFrameCount(80, stride: 4, nearest: [77, 81])) {
            try ClipGeometry(job: job, model: .wan21_1_3B)
        }
        let error = PlanError.invalidFrameCount(80, stride: 4, nearest: [77, 81])
        #expect(error.description.contains("80"))
        #expect(error.description.contains("77 or 81"))
        #expect(error.nearestValid == [77, 81])
        #expect(error.parameter == .frames)
    }

    @Test func sizesThatAreNotMultiplesOf16NameTheNearestValidSizes() {
        #expect(throws: PlanError.invalidFrameSize(
            PixelSize(width: 830, height: 480), quantum: 16,
            nearest: [PixelSize(width: 832, height: 480), PixelSize(width: 816, height: 480)])) {
            try ClipGeometry(job: JobSpec(frames: 81, fps: 16, width: 830, height: 480), model: .wan21_1_3B)
        }
        #expect(throws: PlanError.invalidFrameSize(
            PixelSize(width: 832, height: 8), quantum: 16, nearest: [PixelSize(width: 832, height: 16)])) {
            try ClipGeometry(job: JobSpec(frames: 81, fps: 16, width: 832, height: 8), model: .wan21_1_3B)
        }
    }

    @Test(arguments: [
        (JobSpec(frames: 0, fps: 16, width: 832, height: 480), PlanError.notPositive(.frames, value: 0)),
        (JobSpec(frames: -3, fps: 16, width: 832, height: 480), PlanError.notPositive(.frames, value: -3)),
        (JobSpec(frames: 81, fps: 0, width: 832, height: 480), PlanError.notPositive(.fps, value: 0)),
        (JobSpec(frames: 81, fps: 16, width: -16, height: 480), PlanError.notPositive(.width, value: -16)),
        (JobSpec(frames: 81, fps: 16, width: 832, height: 0), PlanError.notPositive(.height, value: 0)),
    ])
    func zeroOrNegativeSizesAreRejected(job: JobSpec, expected: PlanError) {
        #expect(throws: expected) { try ClipGeometry(job: job, model: .wan21_1_3B) }
    }

    @Test func oneFrameIsAValidClipOfOneLatentFrame() throws {
        let clip = try ClipGeometry(job: JobSpec(frames: 1, fps: 16, width: 16, height: 16), model: .wan21_1_3B)
        #expect(clip.latent.frames == 1)
        #expect(clip.latent.height == 2 && clip.latent.width == 2)
    }

    @Test func aTemporalPatchOfTwoAlsoConstrainsTheFrameCount() {
        var model = ModelGeometry.wan21_1_3B
        model.patch = PatchSize(frames: 2, height: 2, width: 2)
        // 9 frames = 3 latent frames: odd, so not whole temporal patches; 5 (2) and 13 (4) are.
        #expect(throws: PlanError.invalidFrameCount(9, stride: 8, nearest: [5, 13])) {
            try ClipGeometry(job: JobSpec(frames: 9, fps: 16, width: 16, height: 16), model: model)
        }
    }

    @Test func nearestValidFrameCounts() {
        #expect(JobSpec.nearestValidFrameCounts(to: 80, temporalStride: 4) == [77, 81])
        #expect(JobSpec.nearestValidFrameCounts(to: 81, temporalStride: 4) == [81])
        #expect(JobSpec.validFrameCount(atLeast: 160, temporalStride: 4) == 161)
        #expect(JobSpec.validFrameCount(atLeast: 161, temporalStride: 4) == 161)
        #expect(JobSpec.validFrameCount(atLeast: 162, temporalStride: 4) == 165)
    }

    @Test func everyErrorDescribesItselfWithTheOffendingValue() {
        let errors: [(PlanError, String)] = [
            (.notPositive(.steps, value: 0), "steps 0"),
            (.negative(.overlap, value: -1), "overlap -1"),
            (.overlapTooLarge(.overlap, overlap: 21, size: 21), "0...20"),
            (.outOfRange(.blendEvery, value: 60, valid: 1...50), "1...50"),
            (.notMultiple(.tileWidth, value: 31, of: 2, nearest: [30, 32]), "30 or 32"),
            (.outOfRangeReal(.blendFloor, value: 0, expected: "a weight in (0, 1]"), "(0, 1]"),
            (.missingOutput(region: 3), "region 3"),
            (.wrongOutputLength(region: 2, count: 5, expected: 8), "expected 8"),
        ]
        for (error, fragment) in errors {
            #expect(error.description.contains(fragment), "\(error.description)")
        }
    }
}
