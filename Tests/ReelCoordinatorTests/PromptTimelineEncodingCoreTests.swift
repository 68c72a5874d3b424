import Foundation
import ReelPlan
import ReelStore
import ReelWire
import Testing

@testable import ReelCoordinator

/// A prompt timeline on a model whose prompts a worker encodes with its real text
/// encoder (issue 16): admitted with the distinct later prompts to encode, which
/// travel in the job's one prompt encoding; the commit gives the job its timeline
/// from the encoded blobs (a later prompt that repeats the first uses the job's
/// own embeddings); a restart finds the blobs on the encoding's row again.
@Suite struct PromptTimelineEncodingCoreTests {
    typealias Core = CoordinatorCoreTests
    typealias Encoding = PromptEncodingCoreTests

    /// 49 frames (13 latent frames, windows [0, 6), [4, 10), [8, 13)): red, then
    /// blue from 1.5 s, then red again from 2.5 s.
    static func request() -> JobRequest {
        JobRequest(
            model: "wan", prompt: "a red kite", frames: 49, width: 64, height: 64, seed: 3,
            plan: PlanConfig(window: 6, overlap: 2, loop: false, steps: 4, blendEvery: 2),
            prompts: [TimedPrompt(at: 1.5, text: "a blue kite"), TimedPrompt(at: 2.5, text: "a red kite")])
    }

    /// Job 1 with the timeline, waiting on its prompt encoding.
    static func waitingJob() throws -> JobRuntime {
        let request = request()
        let plan = try request.makePlan(model: .wan21_1_3B)
        let policy = CoordinatorConfig(dataDirectory: "/nonexistent").policy
        var job = JobRuntime(
            id: 1, request: request, model: .wan21_1_3B, plan: plan, promptSHA: "", negativeSHA: nil, decodeWarmup: nil,
            machine: JobStateMachine(state: .running(attempt: 1)),
            shards: Dictionary(uniqueKeysWithValues: plan.shards.map { ($0, ShardRecord(machine: ShardStateMachine(policy: policy), token: 0, outputSHA: nil)) }))
        job.encoding = PromptEncodingProgress(
            prompt: "a red kite", negativePrompt: "blurry", machine: .ready(policy: policy), token: 0, laterPrompts: JobTimeline.laterTexts(of: request))
        return job
    }

    @Test func eachDistinctLaterPromptIsEncodedOnceAndMappedBackInOrder() {
        let request = Self.request()
        // The repeat of the first prompt is not encoded again.
        #expect(JobTimeline.laterTexts(of: request) == ["a blue kite"])
        #expect(JobTimeline.laterSHAs(of: request, promptSHA: "red", texts: ["a blue kite"], shas: ["blue"]) == ["blue", "red"])
        #expect(JobTimeline.laterLabels(of: request) == ["prompt at 1.5 s"])
        // Blobs that do not match the texts are no mapping.
        #expect(JobTimeline.laterSHAs(of: request, promptSHA: "red", texts: ["a blue kite"], shas: []) == nil)
        #expect(JobTimeline.laterSHAs(of: request, promptSHA: "red", texts: ["a green kite"], shas: ["green"]) == nil)
        var repeated = request
        repeated.prompts = [TimedPrompt(at: 1, text: "a blue kite"), TimedPrompt(at: 2, text: "a blue kite")]
        #expect(JobTimeline.laterTexts(of: repeated) == ["a blue kite"])
        #expect(JobTimeline.laterLabels(of: repeated) == ["prompt at 1, 2 s"])
        #expect(JobTimeline.laterTexts(of: JobRequest(model: "wan", prompt: "a red kite", frames: 49, width: 64, height: 64)).isEmpty)
    }

    @Test func aTimelineOnAModelWithATextEncoderIsAdmittedForTheWorker() throws {
        let timeline = [TimedPrompt(at: 0.5, text: "a blue kite"), TimedPrompt(at: 1, text: "a red kite")]
        let admitted = try PromptTimelineAdmissionTests.admit(PromptTimelineAdmissionTests.request(timeline), encoders: ["tiny"])
        #expect(admitted.source == .worker && admitted.prompt.isEmpty && admitted.laterPrompts.isEmpty)
        #expect(admitted.encoding?.prompt == "a red kite" && admitted.encoding?.later == ["a blue kite"])
        // A later prompt the encoder would read as nothing is refused by its time.
        let blank = [TimedPrompt(at: 0.5, text: "&nbsp;")]
        do {
            _ = try PromptTimelineAdmissionTests.admit(PromptTimelineAdmissionTests.request(blank), encoders: ["tiny"])
            Issue.record("a later prompt empty after cleaning was admitted")
        } catch {
            #expect(error.description.contains("the prompt at 0.5 s is empty after WanPipeline's cleaning"), "\(error)")
        }
        // Embeddings files name one prompt: still refused with a timeline.
        let file = FarmAPI.EncodedTensor(shape: [8, 16], values: [Float](repeating: 0, count: 128))
        do {
            _ = try PromptTimelineAdmissionTests.admit(PromptTimelineAdmissionTests.request(timeline), embeds: file, encoders: ["tiny"])
            Issue.record("an embeddings file with a timeline was admitted")
        } catch {
            #expect(error.description.contains("a prompt timeline (--prompt-at) needs text prompts: drop --prompt-embeds"), "\(error)")
        }
    }

    @Test func theCommitGivesTheJobItsTimelineFromTheEncodedBlobs() throws {
        var core = CoordinatorCore(config: CoordinatorConfig(dataDirectory: "/nonexistent"), startedAt: Core.origin)
        Encoding.connect(&core, Core.peerB, Encoding.hello("b", encodes: true))
        core.jobs[1] = try Self.waitingJob()
        let leased = core.handle(.encodingsClaimed(peer: Core.peerB, worker: "b", claims: .success([EncodingClaim(job: 1, attempt: 2)]), at: Core.at(1)))
        guard case .sendPromptAssignment(Core.peerB, let assignment)? = leased.first else {
            Issue.record("the claim must send the assignment: \(leased)")
            return
        }
        #expect(assignment.prompt == "a red kite" && assignment.laterPrompts == ["a blue kite"])
        let arrived = core.handle(.promptResult(Core.peerB, job: 1, token: 2, frames: [], at: Core.at(2)))
        guard case .recordPromptResult(let order)? = arrived.first(where: { if case .recordPromptResult = $0 { true } else { false } }) else {
            Issue.record("a current result must be recorded: \(arrived)")
            return
        }
        #expect(order.laterLabels == ["prompt at 1.5 s"] && order.promptLabel == "first prompt (from 0 s)")
        // No timeline before the commit: no shard can run before it anyway.
        #expect(core.jobs[1]?.timeline == nil)

        let committed = core.handle(.promptRecorded(
            peer: Core.peerB, worker: "b", job: 1, attempt: 2, outcome: .committed(promptSHA: "red", negativeSHA: "neg", laterSHAs: ["blue"]),
            at: Core.at(3)))
        #expect(!committed.contains { if case .setJobFailed = $0 { true } else { false } })
        let job = try #require(core.jobs[1])
        let timeline = try #require(job.timeline)
        #expect(timeline.laterSHAs == ["blue", "red"])
        let plan = job.plan
        // The first window is red alone; every window mixes only the two blobs.
        #expect(timeline.prompts(window: 0, promptSHA: job.promptSHA).map(\.sha) == ["red"])
        #expect(timeline.prompts(window: 0, promptSHA: job.promptSHA).map(\.weight) == [1])
        let all = (0..<plan.windows.count).flatMap { timeline.prompts(window: $0, promptSHA: job.promptSHA).map(\.sha) }
        #expect(Set(all) == ["red", "blue"])
        #expect((0..<plan.windows.count).contains { timeline.prompts(window: $0, promptSHA: job.promptSHA).count == 2 })
    }

    @Test func blobsThatDoNotCoverTheTimelineFailTheJob() throws {
        var core = CoordinatorCore(config: CoordinatorConfig(dataDirectory: "/nonexistent"), startedAt: Core.origin)
        Encoding.connect(&core, Core.peerB, Encoding.hello("b", encodes: true))
        core.jobs[1] = try Self.waitingJob()
        _ = core.handle(.encodingsClaimed(peer: Core.peerB, worker: "b", claims: .success([EncodingClaim(job: 1, attempt: 2)]), at: Core.at(1)))
        _ = core.handle(.promptResult(Core.peerB, job: 1, token: 2, frames: [], at: Core.at(2)))
        let actions = core.handle(.promptRecorded(
            peer: Core.peerB, worker: "b", job: 1, attempt: 2, outcome: .committed(promptSHA: "red", negativeSHA: "neg"), at: Core.at(3)))
        #expect(actions.contains { if case .setJobFailed(1, let reason) = $0 { reason.contains("0 encoded later prompts for the 1 asked for") } else { false } })
    }

    /// A restart: a done encoding's blobs are found on its row and the timeline is
    /// rebuilt; a leased one goes back to waiting, with its later prompts to send again.
    @Test func aRestartFindsTheEncodedBlobsOrWaitsAgain() throws {
        let job = try Self.waitingJob()
        let spec = try StoredJob(request: job.request, model: job.model, decodeWarmup: nil, embeddings: .worker).json()
        let done = ItemSnapshot(state: .done(worker: "b", attempt: 1), token: 1, worker: "b", outputSHA: "red")
        let shards = job.plan.shards.map { shard in
            (shard, ItemSnapshot(state: shard.block == 0 ? .ready(attempts: 0, notBefore: nil) : .pending, token: 0, worker: nil, outputSHA: nil))
        }
        let encoded = JobSnapshot(
            id: 1, state: .running(attempt: 1), spec: spec, promptSHA: "red", negativeSHA: "neg", latentsSHA: nil, shards: shards, chunks: [],
            encoding: StoredEncoding(prompt: "a red kite", negativePrompt: "", row: done, laterPrompts: ["a blue kite"], laterSHAs: ["blue"]))
        var core = CoordinatorCore(config: CoordinatorConfig(dataDirectory: "/nonexistent"), startedAt: Core.origin)
        let resumed = core.handle(.recovered([encoded]))
        #expect(!resumed.contains { if case .setJobFailed = $0 { true } else { false } }, "\(resumed)")
        #expect(core.jobs[1]?.timeline?.laterSHAs == ["blue", "red"])
        #expect(core.jobs[1]?.encoding?.isDone == true)

        // Done without the blobs: the job cannot be resumed, and says why.
        var missing = encoded
        missing.encoding?.laterSHAs = nil
        var other = CoordinatorCore(config: CoordinatorConfig(dataDirectory: "/nonexistent"), startedAt: Core.origin)
        let failed = other.handle(.recovered([missing]))
        #expect(failed.contains { if case .setJobFailed(1, let reason) = $0 { reason.contains("do not cover its prompt timeline") } else { false } })

        // Leased at the crash: waiting again, the later prompts kept for the next lease.
        let leased = ItemSnapshot(state: .leased(worker: "b", attempt: 1, expiresAt: Core.at(30).stamp), token: 2, worker: "b", outputSHA: nil)
        let pending = ItemSnapshot(state: .pending, token: 0, worker: nil, outputSHA: nil)
        let waiting = JobSnapshot(
            id: 1, state: .running(attempt: 1), spec: spec, promptSHA: nil, negativeSHA: nil, latentsSHA: nil,
            shards: job.plan.shards.map { ($0, pending) }, chunks: [],
            encoding: StoredEncoding(prompt: "a red kite", negativePrompt: "", row: leased, laterPrompts: ["a blue kite"]))
        var third = CoordinatorCore(config: CoordinatorConfig(dataDirectory: "/nonexistent"), startedAt: Core.origin)
        let actions = third.handle(.recovered([waiting]))
        #expect(!actions.contains { if case .setJobFailed = $0 { true } else { false } }, "\(actions)")
        #expect(third.jobs[1]?.timeline == nil && third.jobs[1]?.encoding?.laterPrompts == ["a blue kite"])
        let expired = third.handle(.tick(at: Core.at(31)))
        #expect(expired.contains { if case .requeue(.encoding(job: 1), token: 2, worker: "b", _, _, _) = $0 { true } else { false } })
    }

    @Test func theEncodedPromptsMustFitInOneMessage() throws {
        let later = (1...15).map { "prompt \($0)" }
        // 17 tensors of 512 × 4096 floats: 136 MiB, inside the default 512 MiB.
        try JobTimeline.checkEncodedSize(("a", "", later), model: .wan21_1_3B, maxMessageBytes: 512 << 20)
        do {
            try JobTimeline.checkEncodedSize(("a", "", later), model: .wan21_1_3B, maxMessageBytes: 128 << 20)
            Issue.record("136 MiB of embeddings were accepted under a 128 MiB message limit")
        } catch {
            #expect(error.description.contains("the 17 prompt embeddings of this timeline (136 MiB) would not fit"), "\(error)")
        }
        try JobTimeline.checkEncodedSize(("a", nil, Array(later.prefix(13))), model: .wan21_1_3B, maxMessageBytes: 128 << 20)
    }

    @Test func aTruncationNoteNamesTheLaterPrompt() {
        var result = Reel_V1_PromptResult()
        result.laterPiecesCut = [0, 7]
        let notes = Coordinator.truncationNotes(
            result, maxTokens: 512, promptLabel: "first prompt (from 0 s)", laterLabels: ["prompt at 1 s", "prompt at 2.5 s"])
        #expect(notes == ["the prompt at 2.5 s has 519 tokens with </s>; its last 7 were cut to fit 512, as WanPipeline does (shorten it to keep all of it)"])
        result.promptPiecesCut = 3
        #expect(Coordinator.truncationNotes(result, maxTokens: 512, promptLabel: "first prompt (from 0 s)").first?.hasPrefix("the first prompt (from 0 s) has 515 tokens") == true)
    }
}
