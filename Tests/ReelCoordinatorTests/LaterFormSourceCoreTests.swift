import Foundation
import ReelPlan
import ReelWire
import Testing

@testable import ReelCoordinator

/// Later-form source encodings in the coordinator (``SourceForm``): the latents
/// cache tells the forms apart, the assignment says which to encode, and a worker
/// whose hello lacks `encodes_later_form` (older than forms) is never handed one.
@Suite struct LaterFormSourceCoreTests {
    typealias Core = CoordinatorCoreTests
    typealias Sources = SourceEncodingCoreTests

    /// A worker that encodes sources, in first form only when `laterForm` is false.
    static func hello(_ name: String, laterForm: Bool) -> Reel_V1_Hello {
        var hello = Sources.hello(name, encodesSources: true)
        hello.encodesLaterForm = laterForm
        return hello
    }

    static func claimed(_ core: inout CoordinatorCore, _ peer: PeerID, _ worker: String, encoding: Int, sha: String) -> [CoordinatorAction] {
        core.handle(
            .sourcesClaimed(
                peer: peer, worker: worker, claims: .success([SourceClaim(job: 1, encoding: encoding, attempt: 1, sourceSHA: sha)]),
                at: Core.at(2)))
    }

    @Test func theCacheKeyTellsTheFormsApart() throws {
        // Sources.pins: image A at latent frame 0 (first form), image B at 12 (later form).
        let job = try Sources.waitingJob()
        let items = try #require(job.conditioning?.items)
        #expect(items.map(\.form) == [.first, .later])
        let key = { (resolved: ResolvedConditioning) in Coordinator.sourceCacheKey(resolved, request: job.request, modelDigest: "d1") }
        // Image A at latent frame 12 is encoded in later form: another key than at 0.
        var moved = items[0].item
        moved.latentFrame = 12
        let later = ResolvedConditioning(item: moved, box: items[1].box)
        #expect(later.form == .later)
        #expect(key(items[0]) != key(later), "image A in first and in later form")
        // Another later-form place is the same later-form encoding.
        moved.latentFrame = 5
        let five = LatentBox(
            frames: Span(start: 5, length: 1, axisLength: 13), rows: items[1].box.rows, columns: items[1].box.columns, channels: 16)
        #expect(key(later) == key(ResolvedConditioning(item: moved, box: five)))
    }

    @Test func aLaterFormEncodingGoesOnlyToAWorkerThatSaysItCan() throws {
        var core = Sources.core()
        Sources.connect(&core, Core.peerA, Self.hello("old", laterForm: false))
        core.jobs[1] = try Sources.waitingJob()
        // Both encodings are ready and one is later form: the old worker claims none of the model's.
        let none = core.handle(.dispatchDue(at: Core.at(1), lanesBehind: false))
        #expect(Sources.sourceClaims(none).isEmpty, "\(none)")
        // Should the database lease it the later-form one anyway, it is given back without a try charged.
        let refused = Self.claimed(&core, Core.peerA, "old", encoding: 1, sha: Sources.imageB)
        #expect(Sources.orders(refused).isEmpty)
        #expect(refused.contains { if case .release(.source(job: 1, 1), token: 1, worker: "old", let why, readBack: false) = $0 { why.contains("later form") } else { false } }, "\(refused)")
        #expect(core.jobs[1]?.sources[1]?.machine.state.name == .ready)
        // The first-form one it encodes, as before forms, and is told first form.
        let first = try #require(Sources.orders(Self.claimed(&core, Core.peerA, "old", encoding: 0, sha: Sources.imageA)).first)
        #expect(first.encoding == 0 && first.form == .first)

        // Once only the later-form one waits, only a worker that says so claims it, and is told later form.
        Sources.connect(&core, Core.peerB, Self.hello("new", laterForm: true))
        let claims = Sources.sourceClaims(core.handle(.dispatchDue(at: Core.at(3), lanesBehind: false)))
        #expect(claims.map(\.1) == ["new"], "\(claims)")
        let later = try #require(Sources.orders(Self.claimed(&core, Core.peerB, "new", encoding: 1, sha: Sources.imageB)).first)
        #expect(later.encoding == 1 && later.form == .later)
    }

    /// A job admitted before source forms has a first-form cache key on its later-form
    /// item: encoded now in later form, its latents must not go into the cache there,
    /// where a first-form pin of the same source would find them.
    @Test func latentsUnderAnotherFormsKeyAreNotCached() throws {
        let job = try Sources.waitingJob()
        let items = try #require(job.conditioning?.items)
        var first = items[1].item
        first.latentFrame = 0
        for laterKey in [false, true] {
            var core = Sources.core()
            Sources.connect(&core, Core.peerB, Self.hello("new", laterForm: true))
            core.jobs[1] = job
            let digest = core.modelDigest("wan")
            let firstFormKey = Coordinator.sourceCacheKey(ResolvedConditioning(item: first, box: items[0].box), request: job.request, modelDigest: digest)
            let key = laterKey ? Coordinator.sourceCacheKey(items[1], request: job.request, modelDigest: digest) : firstFormKey
            #expect(key != firstFormKey || !laterKey)
            let claim = SourceClaim(job: 1, encoding: 1, attempt: 1, sourceSHA: Sources.imageB, cacheKey: key)
            #expect(Sources.orders(core.handle(.sourcesClaimed(peer: Core.peerB, worker: "new", claims: .success([claim]), at: Core.at(2)))).count == 1)
            let arrived = core.handle(.sourceResult(Core.peerB, job: 1, encoding: 1, token: 1, frames: [], at: Core.at(3)))
            let order = try #require(arrived.compactMap { if case .recordSourceResult(let order) = $0 { order } else { nil } }.first)
            #expect(order.cache == laterKey, "row key in \(laterKey ? "later" : "first") form")
        }
    }
}
