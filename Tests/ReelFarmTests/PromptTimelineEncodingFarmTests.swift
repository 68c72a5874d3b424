import Foundation
import ReelCoordinator
import ReelPlan
import ReelStore
import ReelWorker
import Testing

/// `--prompt-at` on a model whose prompts a worker encodes with its real umT5
/// text encoder (issue 16), through real processes: the tiny preset with the
/// umT5 fixture (PromptEncodingFarmTests' folder), two workers, 64×64. The
/// timeline's prompts are encoded once, on a worker, in the job's one encoding;
/// a coordinator killed and restarted after that commit finds the blobs again;
/// a window wholly inside one prompt's span comes out bit for bit as a job of
/// that prompt alone, the mixed window as neither.
@Suite(.serialized, .farmSlot) struct PromptTimelineEncodingFarmTests {
    typealias Encoding = PromptEncodingFarmTests

    @Test func aTimelineIsEncodedOnAWorkerAndEachWindowMixesTheRealEmbeddings() async throws {
        let farm = try ProcessFarm()
        defer { farm.stop() }
        _ = try Encoding.makeModel(in: farm.models)
        try await farm.startCoordinator(keepIntermediates: true)
        // One worker first, so the coordinator can be killed between the encoding's
        // commit and the first block's shards.
        let encoder = try farm.startWorker("w1")
        try await farm.waitForWorkers(1)
        // 33 frames at 16 fps (2.06 s) = 9 latent frames; windows of 4 overlapping by 1.
        // The second prompt is over 512 tokens, so the worker cuts it.
        let long = try Encoding.longestTokenCase()
        let red = "a red lighthouse in a storm"
        let single = JobRequest(
            name: "red", model: "tinytext", prompt: red, negativePrompt: "blurry", frames: 33, fps: 16, width: 64, height: 64, seed: 5,
            guidance: 5, plan: PlanConfig(window: 4, overlap: 1, steps: 2, blendEvery: 1))
        var timed = single
        timed.name = "timeline"
        timed.prompts = [TimedPrompt(at: 1.0, text: long.prompt)]
        var second = single
        second.name = "long"
        second.prompt = long.prompt

        let id = try await farm.client.submit(FarmAPI.SubmitRequest(request: timed))
        let store = try farm.store()
        try await farm.waitUntil(timeout: .seconds(120)) { try store.promptEncoding(job: id)?.status.state == .done }
        encoder.signal(SIGSTOP)
        let firstBlockDone = try store.shards(job: id).filter { $0.shard.block == 0 && $0.status.state == .done }.count
        farm.killCoordinator()
        try await farm.startCoordinator(keepIntermediates: true)
        encoder.signal(SIGCONT)
        try farm.startWorker("w2")
        let two = try await farm.waitForEnd(id, timeout: .seconds(300))
        #expect(two.state == "succeeded", "\(two.reason ?? "") — logs in \(farm.directory.path)")
        #expect(two.embeddings == "encoded on a worker")
        let resumed = try String(contentsOf: farm.directory.appendingPathComponent("coordinator-2.log"), encoding: .utf8)
        #expect(!resumed.contains("cannot resume job") && !resumed.contains("prompt encoding state differs"))
        print("killed the coordinator after the timeline's encoding, with \(firstBlockDone) of 3 first-block shards done")

        // The same prompts alone: the red one is a cache hit (the timeline's commit
        // cached its first prompt), the long one is encoded.
        let oneID = try await farm.client.submit(FarmAPI.SubmitRequest(request: single))
        let otherID = try await farm.client.submit(FarmAPI.SubmitRequest(request: second))
        let one = try await farm.waitForEnd(oneID, timeout: .seconds(300))
        let other = try await farm.waitForEnd(otherID, timeout: .seconds(300))
        #expect(one.state == "succeeded" && one.embeddings == "encoded on a worker (cached)", "\(one.reason ?? "")")
        #expect(other.state == "succeeded" && other.embeddings == "encoded on a worker", "\(other.reason ?? "")")

        // Every prompt encoded once: the timeline's blobs are the single jobs' bits.
        let encoding = try #require(try store.promptEncoding(job: id))
        #expect(encoding.laterPrompts == [long.prompt] && encoding.status.attempt == 1)
        let timelineRow = try #require(try store.job(id: id)), redRow = try #require(try store.job(id: oneID))
        let longRow = try #require(try store.job(id: otherID))
        #expect(timelineRow.promptEmbedsSHA == redRow.promptEmbedsSHA && timelineRow.negativeEmbedsSHA == longRow.negativeEmbedsSHA)
        #expect(encoding.laterSHAs == [try #require(longRow.promptEmbedsSHA)])

        let model = try #require(try ModelExecutor(directory: farm.models).models().first { $0.name == "tinytext" })
        let plan = try timed.makePlan(model: model)
        let weights = plan.promptWeights(try #require(try timed.timeline(plan: plan)))
        let inside = weights.indices.filter { weights[$0] == [PromptWeight(prompt: 0, weight: 1)] }
        let insideSecond = weights.indices.filter { weights[$0] == [PromptWeight(prompt: 1, weight: 1)] }
        let mixed = weights.indices.filter { weights[$0].count == 2 }
        #expect(inside == [0] && mixed == [1] && insideSecond == [2], "\(weights)")
        #expect(firstBlockDone < plan.windows.count, "the restarted coordinator must dispatch some of the first block")

        let blobs = try BlobStore(directory: URL(fileURLWithPath: farm.dataDirectory).appendingPathComponent("blobs"))
        func firstBlock(_ job: Int64) throws -> [Int: [Float]] {
            var outputs: [Int: [Float]] = [:]
            for row in try store.shards(job: job) where row.shard.block == 0 {
                outputs[row.shard.region] = try blobs.getFloats(try #require(row.status.outputSHA))
            }
            return outputs
        }
        let a = try firstBlock(oneID), b = try firstBlock(id), c = try firstBlock(otherID)
        func maxdiff(_ x: [Float]?, _ y: [Float]?) -> Float {
            guard let x, let y, x.count == y.count else { return .infinity }
            return zip(x, y).map { abs($0 - $1) }.max() ?? 0
        }
        for w in inside {
            print("window \(w) (first prompt only) against the first prompt's job: maxdiff \(maxdiff(a[w], b[w]))")
            #expect(a[w] != nil && a[w] == b[w], "window \(w) lies wholly in the first prompt's span")
        }
        for w in insideSecond {
            print("window \(w) (second prompt only) against the second prompt's job: maxdiff \(maxdiff(c[w], b[w]))")
            #expect(c[w] != nil && c[w] == b[w], "window \(w) lies wholly in the second prompt's span")
        }
        for w in mixed {
            let (first, second) = (maxdiff(a[w], b[w]), maxdiff(c[w], b[w]))
            print("window \(w) (weights \(weights[w])) against the first prompt's job: maxdiff \(first); the second's: \(second)")
            #expect(first > 1e-5 && second > 1e-5 && first.isFinite && second.isFinite, "window \(w) mixes both prompts")
        }

        // The cut later prompt is named by its time.
        let notes = try await farm.client.events(job: id).filter { $0.kind == "prompt.truncated" }
        #expect(notes.count == 1, "\(notes)")
        #expect(notes.first?.detail?.hasPrefix("the prompt at 1 s has \(long.untruncatedLength) tokens with </s>") == true, "\(notes.first?.detail ?? "")")

        // Embeddings files name one prompt: a timeline with them is still refused.
        var fromFile = timed
        fromFile.prompt = nil
        fromFile.prompts = [TimedPrompt(at: 0, text: red), TimedPrompt(at: 1.0, text: "a blue lighthouse")]
        let embeds = FarmAPI.EncodedTensor(shape: [512, 64], values: [Float](repeating: 0, count: 512 * 64))
        do {
            _ = try await farm.client.submit(FarmAPI.SubmitRequest(request: fromFile, promptEmbeds: embeds, negativePromptEmbeds: embeds))
            Issue.record("a timeline with an embeddings file must be refused")
        } catch {
            #expect("\(error)".contains("a prompt timeline (--prompt-at) needs text prompts: drop --prompt-embeds, or drop --prompt-at"), "\(error)")
        }
    }
}
