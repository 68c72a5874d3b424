import ReelPlan
import Testing

@testable import ReelCoordinator

/// Admission of jobs with conditioning items: a bad item gets ConditioningPlan's
/// message, and a valid one is refused by name until workers encode sources, never
/// accepted and rendered as plain text-to-video.
@Suite struct ConditioningAdmissionTests {
    static func refusal(_ items: [ConditioningItem]?) -> String? {
        let request = JobRequest(model: "tiny", prompt: "a fox", frames: 21, width: 64, height: 64, conditioning: items)
        do {
            _ = try AdmittedJob(FarmAPI.SubmitRequest(request: request), limits: .default, models: ["tiny": PromptEncodingCoreTests.tiny])
        } catch { return "\(error)" }
        return nil
    }

    static func image(frame: Int) -> ConditioningItem {
        ConditioningItem(source: ConditioningSource(kind: .image, digest: String(repeating: "d", count: 64)), frame: frame)
    }

    @Test func badItemsAreNamedAndValidOnesAreRefusedUntilWorkersEncodeSources() {
        #expect(Self.refusal(nil) == nil)
        #expect(Self.refusal([]) == nil)
        // 21 frames are latent frames 0..<6 (pixel frames 0...20): pixel 24 is latent 6, outside.
        let outside = Self.refusal([Self.image(frame: 24)])
        #expect(outside?.contains("conditioning item 1 covers latent frames 6..<7, outside the clip's 0..<6") == true, "\(outside ?? "accepted")")
        let valid = Self.refusal([Self.image(frame: 0)])
        #expect(valid?.contains("not rendered yet") == true, "\(valid ?? "accepted")")
    }
}
