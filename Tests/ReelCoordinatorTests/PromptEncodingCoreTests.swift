import Foundation
import ReelPlan
import ReelStore
import ReelWire
import Testing

@testable import ReelCoordinator

/// The core's decisions about prompts encoded on workers (issue 13, item 4): a
/// job on a model with a real text encoder waits on its encoding, which only a
/// worker that said it encodes prompts for that model is given; the commit makes
/// the first block ready; a failure is retried like any lease; and submissions
/// never mix real embeddings with the stand-in embedder's.
@Suite struct PromptEncodingCoreTests {
    typealias Core = CoordinatorCoreTests

    /// A hello for model "wan" whose folder has a text encoder; `encodes`: the
    /// worker also offers WORK_KIND_ENCODE_PROMPT.
    static func hello(_ name: String, encodes: Bool) -> Reel_V1_Hello {
        var hello = Core.hello(name, bootID: name)
        hello.modelInfos[0].textEncoder = true
        hello.kinds = encodes ? [.denoise, .encodePrompt] : [.denoise]
        return hello
    }

    /// Job 1 of model "wan", waiting on its prompt encoding (every shard pending).
    static func waitingJob(negative: String? = "blurry") throws -> JobRuntime {
        var job = try Core.job()
        let policy = CoordinatorConfig(dataDirectory: "/nonexistent").policy
        for shard in job.plan.shards { job.shards[shard]?.machine = ShardStateMachine(policy: policy) }
        job.promptSHA = ""
        job.encoding = PromptEncodingProgress(prompt: "a fox in snow", negativePrompt: negative, machine: .ready(policy: policy), token: 0)
        return job
    }

    static func connect(_ core: inout CoordinatorCore, _ peer: PeerID, _ hello: Reel_V1_Hello) {
        _ = core.handle(.hello(peer, hello, at: Core.at(0)))
        _ = core.handle(.workerRegistered(peer, outcome: .committed))
    }

    static func encodingClaims(_ actions: [CoordinatorAction]) -> [(PeerID, String, [String], Int)] {
        actions.compactMap { if case .claimEncodings(let peer, let worker, let models, let limit, _) = $0 { (peer, worker, models, limit) } else { nil } }
    }

    @Test func onlyAWorkerThatEncodesPromptsIsGivenTheEncoding() throws {
        var core = CoordinatorCore(config: CoordinatorConfig(dataDirectory: "/nonexistent"), startedAt: Core.origin)
        Self.connect(&core, Core.peerA, Self.hello("a", encodes: false))
        core.jobs[1] = try Self.waitingJob()
        // "a" has the folder but does not encode: nothing is claimed, and the job says why it waits.
        #expect(Self.encodingClaims(core.handle(.dispatchDue(at: Core.at(1), lanesBehind: false))).isEmpty)
        let why = try #require(core.encodingWait(1))
        #expect(why.contains("can encode prompts for model 'wan'") && why.contains("stand-in embedder is not used"))
        #expect(core.textEncoderModels() == ["wan"])

        Self.connect(&core, Core.peerB, Self.hello("b", encodes: true))
        let claims = Self.encodingClaims(core.handle(.dispatchDue(at: Core.at(2), lanesBehind: false)))
        #expect(claims.count == 1)
        #expect(claims.first?.0 == Core.peerB && claims.first?.1 == "b" && claims.first?.2 == ["wan"] && claims.first?.3 == 1)
        #expect(core.encodingWait(1) == "waiting for a worker to encode its prompt")
    }

    @Test func theCommitOfTheEncodingMakesTheFirstBlockReady() throws {
        var core = CoordinatorCore(config: CoordinatorConfig(dataDirectory: "/nonexistent"), startedAt: Core.origin)
        Self.connect(&core, Core.peerB, Self.hello("b", encodes: true))
        core.jobs[1] = try Self.waitingJob()
        // No shard is ready, so only the encoding is claimed.
        let dispatch = core.handle(.dispatchDue(at: Core.at(1), lanesBehind: false))
        #expect(!dispatch.contains { if case .claimShards = $0 { return true } else { return false } })

        let leased = core.handle(.encodingsClaimed(peer: Core.peerB, worker: "b", claims: .success([EncodingClaim(job: 1, attempt: 4)]), at: Core.at(1)))
        guard case .sendPromptAssignment(Core.peerB, let assignment)? = leased.first else {
            Issue.record("the claim must send the assignment: \(leased)")
            return
        }
        #expect(assignment.jobID == 1 && assignment.attempt == 4 && assignment.model == "wan")
        #expect(assignment.prompt == "a fox in snow" && assignment.negative && assignment.negativePrompt == "blurry")
        #expect(assignment.maxTokens == 512)
        #expect(core.workers[Core.peerB]?.running[.encoding(job: 1)] != nil)
        // While it holds an encoding, the worker is not given a second one.
        core.jobs[2] = try Self.waitingJob()
        #expect(Self.encodingClaims(core.handle(.dispatchDue(at: Core.at(1), lanesBehind: false))).isEmpty)
        core.jobs[2] = nil

        let arrived = core.handle(.promptResult(Core.peerB, job: 1, token: 4, frames: [], at: Core.at(2)))
        guard case .recordPromptResult(let order)? = arrived.first(where: { if case .recordPromptResult = $0 { true } else { false } }) else {
            Issue.record("a current result must be recorded: \(arrived)")
            return
        }
        let plan = try #require(core.jobs[1]?.plan)
        #expect(order.textTokens == 512 && order.textDim == 4096 && order.negative)
        #expect(Set(order.firstShards) == Set(plan.shards.filter { $0.block == 0 }))
        // A stale attempt of the same encoding is refused.
        let stale = core.handle(.promptResult(Core.peerB, job: 1, token: 3, frames: [], at: Core.at(2)))
        #expect(!stale.contains { if case .recordPromptResult = $0 { return true } else { return false } })

        _ = core.handle(.promptRecorded(peer: Core.peerB, worker: "b", job: 1, attempt: 4, outcome: .committed(promptSHA: "pos", negativeSHA: "neg"), at: Core.at(3)))
        let job = try #require(core.jobs[1])
        #expect(job.promptSHA == "pos" && job.negativeSHA == "neg" && job.embedsID == "pos+neg")
        #expect(job.encoding?.isDone == true && core.encodingWait(1) == nil)
        for shard in plan.shards {
            #expect(job.shards[shard]?.machine.state.name == (shard.block == 0 ? .ready : .pending))
        }
        let next = core.handle(.dispatchDue(at: Core.at(3), lanesBehind: false))
        #expect(next.contains { if case .claimShards(Core.peerB, "b", _, _, _, _) = $0 { return true } else { return false } })
    }

    @Test func aFailedEncodingIsRetriedAndAnInvalidOneChargesTheWorker() throws {
        var core = CoordinatorCore(config: CoordinatorConfig(dataDirectory: "/nonexistent"), startedAt: Core.origin)
        Self.connect(&core, Core.peerB, Self.hello("b", encodes: true))
        core.jobs[1] = try Self.waitingJob(negative: nil)
        _ = core.handle(.encodingsClaimed(peer: Core.peerB, worker: "b", claims: .success([EncodingClaim(job: 1, attempt: 1)]), at: Core.at(1)))
        var failure = Reel_V1_ShardFailure()
        (failure.jobID, failure.attempt, failure.kind, failure.failureClass) = (1, 1, .encodePrompt, .outOfMemory)
        let failed = core.handle(.failure(Core.peerB, failure, at: Core.at(2)))
        #expect(failed.contains { if case .requeue(.encoding(job: 1), token: 1, worker: "b", _, _, _) = $0 { return true } else { return false } })
        #expect(core.workers[Core.peerB]?.running[.encoding(job: 1)] == nil)

        // An unusable result (the records lane found NaN) is the worker's failure.
        var again = CoordinatorCore(config: CoordinatorConfig(dataDirectory: "/nonexistent"), startedAt: Core.origin)
        Self.connect(&again, Core.peerB, Self.hello("b", encodes: true))
        again.jobs[1] = try Self.waitingJob(negative: nil)
        _ = again.handle(.encodingsClaimed(peer: Core.peerB, worker: "b", claims: .success([EncodingClaim(job: 1, attempt: 1)]), at: Core.at(1)))
        _ = again.handle(.promptResult(Core.peerB, job: 1, token: 1, frames: [], at: Core.at(2)))
        let invalid = again.handle(.promptRecorded(peer: Core.peerB, worker: "b", job: 1, attempt: 1, outcome: .invalid("NaN"), at: Core.at(3)))
        #expect(invalid.contains { if case .recordWorkerFailure(job: 1, worker: "b") = $0 { return true } else { return false } })
        #expect(invalid.contains { if case .requeue(.encoding(job: 1), token: 1, worker: "b", _, _, _) = $0 { return true } else { return false } })
    }

    /// After a restart the job is rebuilt from its rows: it waits on its encoding
    /// again (a lease held at the crash stays the holder's until it expires), and
    /// its first block is not made ready behind the encoding's back.
    @Test func aRestartedCoordinatorResumesTheWaitOnTheEncoding() throws {
        let job = try Core.job()
        let spec = try StoredJob(request: job.request, model: job.model, decodeWarmup: nil, embeddings: .worker).json()
        let pending = ItemSnapshot(state: .pending, token: 0, worker: nil, outputSHA: nil)
        let leased = ItemSnapshot(state: .leased(worker: "b", attempt: 1, expiresAt: Core.at(30).stamp), token: 2, worker: "b", outputSHA: nil)
        var snapshot = JobSnapshot(
            id: 1, state: .running(attempt: 1), spec: spec, promptSHA: nil, negativeSHA: nil, latentsSHA: nil,
            shards: job.plan.shards.map { ($0, pending) }, chunks: [],
            encoding: StoredEncoding(prompt: "a fox", negativePrompt: "", row: leased))
        var core = CoordinatorCore(config: CoordinatorConfig(dataDirectory: "/nonexistent"), startedAt: Core.origin)
        let actions = core.handle(.recovered([snapshot]))
        #expect(!actions.contains { if case .markReady = $0 { return true } else { return false } })
        let encoding = try #require(core.jobs[1]?.encoding)
        #expect(encoding.prompt == "a fox" && encoding.negativePrompt == "" && encoding.token == 2 && encoding.machine.state.holder == "b")
        // Its lease expires like any other and goes back to the queue.
        let expired = core.handle(.tick(at: Core.at(31)))
        #expect(expired.contains { if case .requeue(.encoding(job: 1), token: 2, worker: "b", _, _, _) = $0 { return true } else { return false } })

        // A job with neither embeddings nor an encoding cannot run.
        snapshot.encoding = nil
        var other = CoordinatorCore(config: CoordinatorConfig(dataDirectory: "/nonexistent"), startedAt: Core.origin)
        let failed = other.handle(.recovered([snapshot]))
        #expect(failed.contains { if case .setJobFailed(1, _) = $0 { return true } else { return false } })
    }

    /// The reconciler finds the encoding committed in the database while memory
    /// never heard (a lost answer): memory takes the embeddings, then the first
    /// block; while the result is still being recorded it waits for that answer.
    @Test func theReconcilerAdoptsACommittedEncodingBeforeItsShards() throws {
        var core = CoordinatorCore(config: CoordinatorConfig(dataDirectory: "/nonexistent"), startedAt: Core.origin)
        Self.connect(&core, Core.peerB, Self.hello("b", encodes: true))
        core.jobs[1] = try Self.waitingJob()
        _ = core.handle(.encodingsClaimed(peer: Core.peerB, worker: "b", claims: .success([EncodingClaim(job: 1, attempt: 1)]), at: Core.at(1)))
        let job = try #require(core.jobs[1])
        let spec = try StoredJob(request: job.request, model: job.model, decodeWarmup: nil, embeddings: .worker).json()
        let shards = job.plan.shards.map { shard in
            (shard, ItemSnapshot(state: shard.block == 0 ? .ready(attempts: 0, notBefore: nil) : .pending, token: 0, worker: nil, outputSHA: nil))
        }
        let committed = JobSnapshot(
            id: 1, state: .running(attempt: 1), spec: spec, promptSHA: "pos", negativeSHA: "neg", latentsSHA: nil, shards: shards, chunks: [])

        // Still being recorded: nothing is adopted yet.
        _ = core.handle(.promptResult(Core.peerB, job: 1, token: 1, frames: [], at: Core.at(2)))
        _ = core.handle(.databaseRead(.success([committed])))
        #expect(core.jobs[1]?.promptSHA == "" && core.jobs[1]?.shards[Core.first]?.machine.state.name == .pending)

        // The record's answer was lost (here: the result never arrived, the commit did).
        var lost = CoordinatorCore(config: CoordinatorConfig(dataDirectory: "/nonexistent"), startedAt: Core.origin)
        Self.connect(&lost, Core.peerB, Self.hello("b", encodes: true))
        lost.jobs[1] = try Self.waitingJob()
        _ = lost.handle(.encodingsClaimed(peer: Core.peerB, worker: "b", claims: .success([EncodingClaim(job: 1, attempt: 1)]), at: Core.at(1)))
        let repaired = lost.handle(.databaseRead(.success([committed])))
        #expect(repaired.contains { if case .log(.warning, "repaired: the prompt encoding had committed", _) = $0 { return true } else { return false } })
        let after = try #require(lost.jobs[1])
        #expect(after.promptSHA == "pos" && after.negativeSHA == "neg" && after.encoding?.isDone == true)
        #expect(after.shards[Core.first]?.machine.state.name == .ready)
        #expect(lost.workers[Core.peerB]?.running[.encoding(job: 1)] == nil)
    }

    // MARK: Admission

    static let tiny = ModelGeometry(
        name: "tiny", latentChannels: 16, temporalStride: 4, spatialStride: 8, patch: PatchSize(frames: 1, height: 2, width: 2),
        layers: 2, width: 32, ffnWidth: 128, heads: 2, textTokens: 8, textDim: 16)

    static func submission(prompt: String? = "a fox", guidance: Double = 5, embeds: [Int]? = nil, negativeEmbeds: [Int]? = nil) -> FarmAPI.SubmitRequest {
        func tensor(_ shape: [Int]) -> FarmAPI.EncodedTensor {
            FarmAPI.EncodedTensor(shape: shape, values: [Float](repeating: 0.25, count: shape.reduce(1, *)))
        }
        return FarmAPI.SubmitRequest(
            request: JobRequest(
                model: "tiny", prompt: prompt, frames: 17, width: 64, height: 64, guidance: guidance,
                plan: PlanConfig(window: 3, overlap: 1, steps: 4, blendEvery: 2)),
            promptEmbeds: embeds.map(tensor), negativePromptEmbeds: negativeEmbeds.map(tensor))
    }

    static func admit(_ submission: FarmAPI.SubmitRequest, encoder: Bool) throws(APIError) -> AdmittedJob {
        try AdmittedJob(submission, limits: .default, models: ["tiny": tiny], textEncoders: encoder ? ["tiny"] : [])
    }

    static func refusal(_ submission: FarmAPI.SubmitRequest, encoder: Bool) -> String? {
        do { _ = try admit(submission, encoder: encoder) } catch { return "\(error)" }
        return nil
    }

    @Test func aModelWithATextEncoderNeverUsesTheStandIn() throws {
        let encoded = try Self.admit(Self.submission(), encoder: true)
        #expect(encoded.source == .worker && encoded.prompt.isEmpty && encoded.negative == nil)
        #expect(encoded.encoding?.prompt == "a fox" && encoded.encoding?.negative == "")
        let unguided = try Self.admit(Self.submission(guidance: 1), encoder: true)
        #expect(unguided.encoding?.negative == nil)
        let standIn = try Self.admit(Self.submission(), encoder: false)
        #expect(standIn.source == .standIn && standIn.encoding == nil && standIn.prompt.count == 8 * 16)
        let file = try Self.admit(Self.submission(prompt: nil, embeds: [8, 16], negativeEmbeds: [8, 16]), encoder: true)
        #expect(file.source == .file && file.encoding == nil && file.prompt.count == 8 * 16)
        #expect(Self.refusal(Self.submission(prompt: "  &nbsp; "), encoder: true)?.contains("the prompt is empty after WanPipeline's cleaning") == true)
    }

    @Test func mixedOrMisshapedEmbeddingsAreRefused() {
        // Real prompt embeddings beside a stand-in (or encoded) negative prompt.
        for encoder in [false, true] {
            let message = Self.refusal(Self.submission(prompt: nil, embeds: [8, 16]), encoder: encoder)
            #expect(message?.contains("negative_prompt_embeds is not") == true)
            #expect(Self.refusal(Self.submission(negativeEmbeds: [8, 16]), encoder: encoder)?.contains("prompt_embeds is not") == true)
        }
        // Without guidance the negative is not used, so one file is enough.
        #expect(Self.refusal(Self.submission(prompt: nil, guidance: 1, embeds: [8, 16]), encoder: true) == nil)
        let wide = Self.refusal(Self.submission(prompt: nil, guidance: 1, embeds: [8, 4096]), encoder: true)
        #expect(wide?.contains("width 4096") == true && wide?.contains("text_dim is 16") == true)
    }

    @Test func theCacheKeyNamesTheCheckpointAndTheTexts() {
        let key = Coordinator.embeddingsCacheKey(digest: "d1", model: "wan", prompt: "a fox", negative: "")
        #expect(key.count == 64 && key.allSatisfy { $0.isHexDigit })
        #expect(key == Coordinator.embeddingsCacheKey(digest: "d1", model: "other-name", prompt: "a fox", negative: ""))
        #expect(key != Coordinator.embeddingsCacheKey(digest: "d2", model: "wan", prompt: "a fox", negative: ""))
        // What WanPipeline's cleaning removes (entities, runs of white space, ends) does not matter.
        #expect(key == Coordinator.embeddingsCacheKey(digest: "d1", model: "wan", prompt: "  a&#32;  fox ", negative: ""))
        #expect(key != Coordinator.embeddingsCacheKey(digest: "d1", model: "wan", prompt: "a fox.", negative: ""))
        #expect(key != Coordinator.embeddingsCacheKey(digest: "d1", model: "wan", prompt: "a fox", negative: nil))
        #expect(key != Coordinator.embeddingsCacheKey(digest: "d1", model: "wan", prompt: "a fox", negative: "blur"))
    }
}
