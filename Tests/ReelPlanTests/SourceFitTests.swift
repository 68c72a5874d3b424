import Testing
import ReelPlan

/// Conforming a conditioning source: where crop, pad and stretch put it, and which
/// source frames a video contributes at the job's frame rate. Expected values are
/// worked out by hand in each comment.
@Suite struct SourceFitTests {
    /// 1920×1080 (16:9) into 832×480 (26:15, narrower): crop scales to height 480, width
    /// 1920·480/1080 = 853.3 → 853, cut (853 − 832)/2 → 10 from the left; pad scales to
    /// width 832, height 1080·832/1920 = 468, border (480 − 468)/2 = 6 on top.
    @Test func landscapeSourceIntoTheNativeFrame() {
        let crop = SourceFit.crop.layout(sourceWidth: 1920, sourceHeight: 1080, targetWidth: 832, targetHeight: 480)
        #expect(crop == FitLayout(scaledWidth: 853, scaledHeight: 480, x: -10, y: 0))
        let pad = SourceFit.pad.layout(sourceWidth: 1920, sourceHeight: 1080, targetWidth: 832, targetHeight: 480)
        #expect(pad == FitLayout(scaledWidth: 832, scaledHeight: 468, x: 0, y: 6))
        let stretch = SourceFit.stretch.layout(sourceWidth: 1920, sourceHeight: 1080, targetWidth: 832, targetHeight: 480)
        #expect(stretch == FitLayout(scaledWidth: 832, scaledHeight: 480, x: 0, y: 0))
    }

    /// A portrait 480×832 source into a landscape 832×480 frame: crop scales to width 832,
    /// height 832·832/480 = 1442.1 → 1442, cut (1442 − 480)/2 = 481 from the top; pad to
    /// height 480, width 480·480/832 = 276.9 → 277, border (832 − 277)/2 = 277 on the left.
    @Test func portraitSourceIntoALandscapeFrame() {
        let crop = SourceFit.crop.layout(sourceWidth: 480, sourceHeight: 832, targetWidth: 832, targetHeight: 480)
        #expect(crop == FitLayout(scaledWidth: 832, scaledHeight: 1442, x: 0, y: -481))
        let pad = SourceFit.pad.layout(sourceWidth: 480, sourceHeight: 832, targetWidth: 832, targetHeight: 480)
        #expect(pad == FitLayout(scaledWidth: 277, scaledHeight: 480, x: 277, y: 0))
    }

    @Test func theSameAspectRatioIsAPlainScaleForEveryFit() {
        for fit in SourceFit.allCases {
            #expect(fit.layout(sourceWidth: 1664, sourceHeight: 960, targetWidth: 832, targetHeight: 480)
                == FitLayout(scaledWidth: 832, scaledHeight: 480, x: 0, y: 0))
        }
    }

    /// 30 fps → 16 fps: output frame i is at source time i·30/16 = 0, 1.875, 3.75, 5.625, 7.5
    /// → nearest frames 0, 2, 4, 6, 8 (the tie 7.5 goes to the later frame).
    /// 8 fps → 16 fps: i·0.5 = 0, 0.5, 1, 1.5, 2 → 0, 1, 1, 2, 2; clamped to 2 frames: 0, 1, 1, 1, 1.
    @Test func videoFramesAreResampledToTheJobsRateByNearestFrame() {
        #expect(SourceFrames.indices(sourceFPS: 30, jobFPS: 16, first: 0, count: 5) == [0, 2, 4, 6, 8])
        #expect(SourceFrames.indices(sourceFPS: 8, jobFPS: 16, first: 0, count: 5) == [0, 1, 1, 2, 2])
        #expect(SourceFrames.indices(sourceFPS: 8, jobFPS: 16, first: 0, count: 5, available: 2) == [0, 1, 1, 1, 1])
        #expect(SourceFrames.indices(sourceFPS: 16, jobFPS: 16, first: 4, count: 3) == [4, 5, 6])
    }

    /// `fit: crop` is the default, so it canonicalises to no fit: the two requests share a hash.
    @Test func anExplicitCropCanonicalisesToTheDefault() {
        let digest = String(repeating: "c", count: 64)
        let explicit = ConditioningItem(source: ConditioningSource(kind: .image, digest: digest), frame: 0, fit: .crop)
        let implicit = ConditioningItem(source: ConditioningSource(kind: .image, digest: digest), frame: 0)
        #expect(explicit.canonical(temporalStride: 4) == implicit.canonical(temporalStride: 4))
        let pad = ConditioningItem(source: ConditioningSource(kind: .image, digest: digest), frame: 0, fit: .pad)
        #expect(pad.canonical(temporalStride: 4)?.fit == .pad)
    }
}
