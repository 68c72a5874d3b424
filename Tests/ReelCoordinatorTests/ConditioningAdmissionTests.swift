import ReelPlan
import Testing

@testable import ReelCoordinator

/// Admission of jobs with conditioning items: a bad item gets ConditioningPlan's
/// message; valid ones are admitted and placed from the stored (canonical) list,
/// whose index i is source encoding i. (Whether the sources were uploaded is the
/// coordinator's check: SourceConditioningFarmTests.)
@Suite struct ConditioningAdmissionTests {
    static func admit(_ items: [ConditioningItem]?) throws -> AdmittedJob {
        let request = JobRequest(model: "tiny", prompt: "a fox", frames: 21, width: 64, height: 64, conditioning: items)
        return try AdmittedJob(FarmAPI.SubmitRequest(request: request), limits: .default, models: ["tiny": PromptEncodingCoreTests.tiny])
    }

    static func refusal(_ items: [ConditioningItem]?) -> String? {
        do { _ = try admit(items) } catch { return "\(error)" }
        return nil
    }

    static func image(frame: Int) -> ConditioningItem {
        ConditioningItem(source: ConditioningSource(kind: .image, digest: String(repeating: "d", count: 64)), frame: frame)
    }

    @Test func badItemsAreNamedAndValidOnesArePlaced() throws {
        #expect(Self.refusal(nil) == nil)
        #expect(Self.refusal([]) == nil)
        // 21 frames are latent frames 0..<6 (pixel frames 0...20): pixel 24 is latent 6, outside.
        let outside = Self.refusal([Self.image(frame: 24)])
        #expect(outside?.contains("conditioning item 1 covers latent frames 6..<7, outside the clip's 0..<6") == true, "\(outside ?? "accepted")")
        #expect(try Self.admit(nil).conditioning == nil)
        // Two images given last-first, one by latent frame: stored and placed in canonical order.
        var last = Self.image(frame: 0)
        (last.frame, last.latentFrame) = (nil, 5)
        last.source.digest = String(repeating: "e", count: 64)
        let admitted = try Self.admit([last, Self.image(frame: 0)])
        let placed = try #require(admitted.conditioning)
        #expect(placed.items.map(\.box.frames.start) == [0, 5])
        #expect(placed.items.map(\.item) == admitted.request.conditioning)
    }
}
