import Foundation
import ReelCoordinator
import ReelFarm
import ReelMedia
import ReelPlan
import ReelStore
import ReelTensor
import ReelWorker
import Testing

/// Later-form encodings through a farm of processes (`reel coordinator`, two `reel
/// worker`s, tiny model, 64×64, 17 frames = 5 latent frames): one image pinned at
/// latent frame 0 and again at 4 is two encodings, first and later form, each the
/// worker's encoding in that form as this process computes it.
@Suite(.serialized, .farmSlot) struct LaterFormFarmTests {
    typealias Farm = SourceConditioningFarmTests

    @Test func anImageAtTheClipsEndIsEncodedInLaterForm() async throws {
        let farm = try ProcessFarm()
        defer { farm.stop() }
        try await Farm.start(farm)
        let png = try Farm.png()
        let source = try await Farm.upload(png, to: farm)
        var end = Farm.image(source)
        end.frame = 16
        let id = try await farm.client.submit(FarmAPI.SubmitRequest(request: Farm.request(seed: 1, conditioning: [Farm.image(source), end])))
        let status = try await farm.waitForEnd(id)
        #expect(status.state == "succeeded", "\(status.reason ?? "") — logs in \(farm.directory.path)")

        let store = try farm.store()
        let blobs = try BlobStore(directory: URL(fileURLWithPath: farm.dataDirectory).appendingPathComponent("blobs"))
        let rows = try store.sourceEncodings(job: id)
        #expect(rows.count == 2 && rows.allSatisfy { $0.status.state == .done })
        #expect(Set(rows.map(\.cacheKey)).count == 2, "the forms have two cache keys")
        guard rows.count == 2 else { return }
        let encoded = try rows.map { try blobs.getFloats(try #require($0.status.outputSHA)) }

        let frames = try MediaSourceReader().frames(
            of: SourceBytes(bytes: png, kind: .image, digest: source), width: 64, height: 64, fit: .crop, fps: 16)
        let executor = try ModelExecutor(directory: farm.models)
        var local: [Tensor] = []
        for form in [SourceForm.first, .later] {
            local.append(try executor.encodeSource(model: "tiny", form: form) { feed throws(WorkerError) in try feed(frames) })
        }
        let (first, later) = (Farm.maxdiff(local[0].storage, encoded[0]), Farm.maxdiff(local[1].storage, encoded[1]))
        let apart = Farm.maxdiff(encoded[0], encoded[1])
        print("farm encodings against encodeSource here: first form at 0 maxdiff \(first), later form at 4 maxdiff \(later); the two apart \(apart)")
        #expect(first <= 1e-5 && later <= 1e-5)
        #expect(apart > 1e-3, "latent frame 4 got the later form, not the first")
        // The pinned latent frame 4 is the later-form encoding exactly.
        let latents = try blobs.getFloats(try #require(try store.job(id: id)?.latentsSHA))
        #expect(Farm.frame(latents, 4, frames: 5) == encoded[1] && Farm.frame(latents, 0, frames: 5) == encoded[0])
    }
}
