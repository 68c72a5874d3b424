import Foundation
import ReelModel
import ReelPlan
import ReelTensor
import ReelWorker
import Testing

/// Conditioning inside a worker's denoise loop, on the tiny random-weight model
/// (16 latent channels, 3 latent frames of 4×4, 4 steps): a pinned frame is the known
/// latents re-noised to each block's end σ and exactly the known latents at the end;
/// pins change what the model makes of the other frames; blocks run back to back
/// equal one run; an edit starts from the source noised to its first step's σ.
/// The re-noising arithmetic is checked against diffusers in ReelModelTests
/// (`ConditioningArithmeticTests`); here the loop is.
@Suite struct PinnedDenoiseTests {
    static let shape = LatentShape(channels: 16, frames: 3, height: 4, width: 4)
    static let box = LatentBox(frames: .whole(3), rows: .whole(4), columns: .whole(4), channels: 16)
    static let steps = 4
    static let digest = String(repeating: "f", count: 64)

    static func models() throws -> URL {
        let models = FileManager.default.temporaryDirectory.appendingPathComponent("reel-pinned-\(UUID().uuidString)")
        try ModelFolder.create(
            at: models.appendingPathComponent("tiny").path, transformer: ModelPreset.tiny.transformer,
            scheduler: ModelPreset.tiny.scheduler, seed: 0)
        return models
    }

    static func task(_ latents: [Float], steps: Range<Int>, conditioning: DenoiseConditioning? = nil) throws -> DenoiseTask {
        let embeds = try Tensor(shape: [8, 64], storage: LatentNoise(seed: 99, shape: LatentShape(channels: 1, frames: 1, height: 8, width: 64)).values(in: 0..<512))
        var task = DenoiseTask(
            model: "tiny", latents: try Tensor(shape: [16, 3, 4, 4], storage: latents), totalSteps: Self.steps, steps: steps, guidance: 1,
            shift: nil, prompt: .init(id: "p", tensor: embeds), negativePrompt: nil)
        task.conditioning = conditioning
        return task
    }

    /// Latent frame 0 pinned to known values (drawn from another seed, like an encoded image).
    static func pin(_ noise: LatentNoise) -> (DenoiseConditioning, [Float]) {
        let itemBox = LatentBox(frames: Span(start: 0, length: 1, axisLength: 3), rows: .whole(4), columns: .whole(4), channels: 16)
        let known = LatentNoise(seed: 7, shape: shape).values(in: itemBox).map { 0.5 * $0 }
        let item = ResolvedConditioning(item: ConditioningItem(source: ConditioningSource(kind: .image, digest: digest), latentFrame: 0), box: itemBox)
        return (DenoiseConditioning(noise: noise, box: box, items: [.init(resolved: item, known: known)]), known)
    }

    /// Values of latent frame `t` of a `[16, 3, 4, 4]` tensor, channel-major.
    static func frame(_ values: [Float], _ t: Int) -> [Float] {
        (0..<16).flatMap { c in values[((c * 3 + t) * 16)..<((c * 3 + t) * 16 + 16)] }
    }

    @Test func aPinnedFrameIsReNoisedEveryBlockAndExactAtTheEnd() throws {
        let models = try Self.models()
        defer { try? FileManager.default.removeItem(at: models) }
        let executor = ModelExecutor(directory: models.path)
        let noise = LatentNoise(seed: 42, shape: Self.shape)
        let start = noise.values(in: Self.box)
        let (conditioning, known) = Self.pin(noise)
        let sigmas = try FlowMatchEulerDiscreteScheduler(config: ModelPreset.tiny.scheduler, steps: Self.steps).sigmas

        let half = try executor.denoise(try Self.task(start, steps: 0..<2, conditioning: conditioning))
        let eps = Self.frame(start, 0)
        #expect(Self.frame(half.storage, 0) == ConditioningPlan.noised(known, noise: eps, sigma: sigmas[2]), "frame 0 at σ[2] after block [0, 2)")
        let end = try executor.denoise(try Self.task(half.storage, steps: 2..<4, conditioning: conditioning))
        #expect(Self.frame(end.storage, 0) == known, "σ[4] = 0: the output is the known latents exactly")

        let once = try executor.denoise(try Self.task(start, steps: 0..<4, conditioning: conditioning))
        let blocks = zip(once.storage, end.storage).map { abs($0 - $1) }.max() ?? .infinity
        print("pinned: two blocks vs one run, maxdiff \(blocks)")
        #expect(blocks == 0)

        // The pin reaches the other frames through attention: they differ from a run without it.
        let free = try executor.denoise(try Self.task(start, steps: 0..<4))
        let influence = zip(Self.frame(free.storage, 2), Self.frame(end.storage, 2)).map { abs($0 - $1) }.max() ?? 0
        print("pinned frame 0 moves unpinned frame 2 by maxdiff \(influence)")
        #expect(influence > 1e-4)
    }

    /// Strength 0.5 of 4 steps starts at step 4 − int(4·0.5) = 2: the block [2, 4) starts
    /// from the source noised to σ[2] with the job's noise, which is what running
    /// [2, 4) from those latents without conditioning gives.
    @Test func anEditStartsFromTheSourceNoisedToItsFirstStep() throws {
        let models = try Self.models()
        defer { try? FileManager.default.removeItem(at: models) }
        let executor = ModelExecutor(directory: models.path)
        let noise = LatentNoise(seed: 42, shape: Self.shape)
        let start = noise.values(in: Self.box)
        let first = StepSchedule.firstStep(strength: 0.5, steps: Self.steps)
        #expect(first == 2)
        let source = LatentNoise(seed: 8, shape: Self.shape).values(in: Self.box).map { 0.5 * $0 }
        let item = ResolvedConditioning(
            item: ConditioningItem(
                source: ConditioningSource(kind: .video, digest: Self.digest, frameCount: 9), latentFrame: 0, mode: .start, strength: 0.5),
            box: Self.box)
        let conditioning = DenoiseConditioning(noise: noise, box: Self.box, items: [.init(resolved: item, known: source)])
        let edited = try executor.denoise(try Self.task(start, steps: first..<4, conditioning: conditioning))

        let sigmas = try FlowMatchEulerDiscreteScheduler(config: ModelPreset.tiny.scheduler, steps: Self.steps).sigmas
        let startingPoint = ConditioningPlan.noised(source, noise: start, sigma: sigmas[first])
        let plain = try executor.denoise(try Self.task(startingPoint, steps: first..<4))
        let maxdiff = zip(edited.storage, plain.storage).map { abs($0 - $1) }.max() ?? .infinity
        print("edit at strength 0.5 vs a plain run from the noised source: maxdiff \(maxdiff)")
        #expect(maxdiff == 0)
        // And it is not the source left alone, nor a run from pure noise.
        #expect(edited.storage != source)
        let fromNoise = try executor.denoise(try Self.task(start, steps: first..<4))
        #expect(edited.storage != fromNoise.storage)
    }

    @Test func knownLatentsOfTheWrongSizeAreRefusedNotTrapped() throws {
        let models = try Self.models()
        defer { try? FileManager.default.removeItem(at: models) }
        let noise = LatentNoise(seed: 42, shape: Self.shape)
        var (conditioning, _) = Self.pin(noise)
        conditioning.items[0].known.removeLast()
        let task = try Self.task(noise.values(in: Self.box), steps: 0..<2, conditioning: conditioning)
        do throws(WorkerError) {
            _ = try ModelExecutor(directory: models.path).denoise(task)
            Issue.record("short known latents were accepted")
        } catch {
            #expect(error.kind == .invalidInput && error.message.contains("conditioning item 0"), "\(error)")
        }
    }
}
