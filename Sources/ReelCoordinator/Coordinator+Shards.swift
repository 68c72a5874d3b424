import Foundation
import Logging
import ReelPlan
import ReelHash
import ReelStore
import ReelTensor
import ReelWire

/// Denoising shards: the lane work ``CoordinatorCore`` orders (building
/// assignments, recording results); the decisions are in `CoordinatorCore+Shards.swift`.
extension Coordinator {
    /// Builds a shard's assignment on the `inputs` lane: the input blend reads
    /// neighbours' outputs from the blob store.
    func buildAssignment(_ order: ShardAssignmentOrder) {
        let (id, shard, token, peer, recipe, withEmbeds) = (order.job, order.shard, order.token, order.peer, order.recipe, order.withEmbeds)
        let work = WorkRef.shard(job: id, shard)
        let plan = order.plan, request = order.request, blobs = blobs, buffers = inputBuffers
        let embeds = (id: order.embedsID, prompt: order.promptSHA, negative: order.negativeSHA, width: order.textDim)
        let timeline = order.timeline, conditioning = order.conditioning
        inputs.submit {
            do {
                let input: Data?
                switch recipe {
                case .noise:
                    // The worker draws the initial noise itself (`initial_noise`).
                    input = nil
                case .blend(let box, let outputs):
                    // Neighbours' outputs are read in place from their mapped blobs and
                    // blended straight into the bytes that are sent: no copy of either.
                    let mapped = try outputs.mapValues { sha throws(StoreError) in try blobs.map(sha) }
                    input = try withExtendedLifetime(mapped) { () throws(PlanError) -> Data in
                        try buffers.make(count: box.count * MemoryLayout<Float>.stride) { raw throws(PlanError) in
                            try plan.blend(sources: mapped.mapValues(\.floats), into: box, output: raw.bindMemory(to: Float.self))
                        }
                    }
                }
                let frames = try Self.assignmentFrames(
                    job: id, shard: shard, token: token, plan: plan, request: request, input: input,
                    embeds: embeds, withEmbeds: withEmbeds, timeline: timeline, conditioning: conditioning, blobs: blobs)
                return .assignmentBuilt(peer: peer, work: work, token: token, frames: .success(frames))
            } catch {
                return .assignmentBuilt(
                    peer: peer, work: work, token: token, frames: .failure(OffLoopFailure("cannot build the assignment of shard \(shard): \(error)")))
            }
        }
    }

    /// The ZeroMQ frames of a shard assignment.
    private static func assignmentFrames(
        job id: Int64, shard: ShardID, token: Int, plan: Plan, request: JobRequest, input: Data?,
        embeds: (id: String, prompt: String, negative: String?, width: Int), withEmbeds: Bool, timeline: [TimelineEntry] = [],
        conditioning: ShardConditioning = ShardConditioning(), blobs: BlobStore
    ) throws -> [Data] {
        let region = plan.regions[shard.region]
        let block = plan.blocks[shard.block]
        var assignment = Reel_V1_ShardAssignment()
        assignment.jobID = UInt64(id)
        assignment.region = UInt32(shard.region)
        assignment.block = UInt32(shard.block)
        assignment.attempt = UInt32(token)
        assignment.model = request.model
        assignment.seed = request.seed
        var sampler = Reel_V1_SamplerSettings()
        sampler.totalSteps = UInt32(plan.schedule.steps)
        // An edit's first block starts at its first step (StepSchedule+Strength); the
        // blocks before it begin at their end (an empty block).
        sampler.stepBegin = UInt32(conditioning.stepBegin ?? block.start)
        sampler.stepEnd = UInt32(block.end)
        sampler.guidance = Float(request.guidance)
        sampler.shift = request.shift ?? 0
        assignment.sampler = sampler
        assignment.box = wireBox(region.box, latent: plan.latent)
        var tensors: [WireTensor] = []
        if let input {
            var latents = Reel_V1_TensorHeader()
            latents.name = "latents"
            assignment.latents = latents
            let box = region.box
            tensors.append(
                try WireTensor(name: "latents", shape: [box.channels, box.frames.length, box.rows.length, box.columns.length], littleEndianBytes: input))
        } else {
            assignment.initialNoise = true
        }
        var wireEmbeds = Reel_V1_PromptEmbeds()
        wireEmbeds.embedsID = embeds.id
        if withEmbeds {
            let prompt = try blobs.getFloats(embeds.prompt)
            var positive = Reel_V1_TensorHeader()
            positive.name = "prompt_embeds"
            wireEmbeds.positive = positive
            tensors.append(try WireTensor(name: "prompt_embeds", shape: [prompt.count / embeds.width, embeds.width], values: prompt))
            if let negativeSHA = embeds.negative {
                let negative = try blobs.getFloats(negativeSHA)
                var header = Reel_V1_TensorHeader()
                header.name = "negative_prompt_embeds"
                wireEmbeds.negative = header
                tensors.append(
                    try WireTensor(name: "negative_prompt_embeds", shape: [negative.count / embeds.width, embeds.width], values: negative))
            }
        }
        assignment.embeds = wireEmbeds
        let known = try conditioningLatents(conditioning, region: region.box, latent: plan.latent, blobs: blobs)
        assignment.conditioning = known.items
        tensors += known.tensors
        let mix = try timelinePrompts(timeline, width: embeds.width, blobs: blobs)
        assignment.timeline = mix.prompts
        tensors += mix.tensors
        var envelope = Reel_V1_Envelope()
        envelope.body = .shardAssignment(assignment)
        return try WireCodec.encode(envelope, tensors: tensors)
    }

    /// Checks a shard result on the `parser` lane (its SHA-256, shape and
    /// finiteness), writes it to the blob store on the `blobs` lane, and records
    /// it on the `records` lane. Three lanes, so that no thread carries much more
    /// than a third of a result's cost: with a core each, the busiest thread bounds
    /// how many shards a second the coordinator serves, not the sum.
    func recordShardResult(_ order: ShardResultOrder) {
        let (peer, id, shard, token, name, expected, dependents) = (order.peer, order.job, order.shard, order.token, order.worker, order.expectedShape, order.dependents)
        let limits = WireLimits(maxMessageBytes: config.maxMessageBytes)
        let blobs = blobs, store = recordStore, window = config.recordRetryWindow, logger = logger, records = records, writer = blobWriter
        let frames = order.frames, openCheck = order.openCheck
        parser.submit {
            let checked: (sha: String, frame: Int, computeMs: Int64?)
            do {
                let message = try WireCodec.decode(frames, limits: limits)
                guard case .shardResult(let result)? = message.envelope.body, let tensor = message.tensor(for: result.latents) else {
                    return .shardRecorded(peer: peer, worker: name, job: id, shard: shard, attempt: token, outcome: .invalid("the result has no latents"))
                }
                guard tensor.shape == expected else {
                    return .shardRecorded(
                        peer: peer, worker: name, job: id, shard: shard, attempt: token,
                        outcome: .invalid("worker returned latents of shape \(tensor.shape), expected \(expected)"))
                }
                guard tensor.isFinite else {
                    return .shardRecorded(peer: peer, worker: name, job: id, shard: shard, attempt: token, outcome: .invalid("non-finite output"))
                }
                // The codec checked the frame against its SHA-256: it is stored under it.
                checked = (SHA256.hex(Array(result.latents.sha256)), Int(result.latents.frameIndex), result.hasTimings ? Self.computeMilliseconds(result.timings) : nil)
            } catch {
                return .shardRecorded(peer: peer, worker: name, job: id, shard: shard, attempt: token, outcome: .invalid("malformed result: \(error)"))
            }
            writer.submit {
                // Durable before acknowledged: the output is fsync'd here, then its
                // address and the dependents' readiness commit in one transaction.
                var failure: (any Error)?
                frames[checked.frame].withUnsafeBytes { raw in
                    do { try blobs.put(raw, sha256: checked.sha) } catch { failure = error }
                }
                if let failure {
                    return .shardRecorded(peer: peer, worker: name, job: id, shard: shard, attempt: token, outcome: .unrecorded("cannot store the output: \(failure)"))
                }
                records.submit {
                    let sha = checked.sha
                    let outcome = Self.recordWithRetry(store: store.value, window: window, logger: logger, item: .shard(shard), job: id, sha: sha) {
                        try store.value.completeShard(
                            job: id, shard: shard, attempt: token, worker: name, outputSHA: sha, dependents: dependents, computeMilliseconds: checked.computeMs,
                            openCheck: openCheck)
                    } settle: { (status: WorkStatus) throws -> [ShardID]? in
                        // The commit's answer was lost: the row says whether it happened.
                        guard status.state == ShardState.Name.done, status.outputSHA == sha, status.attempt == token else { return nil }
                        return try store.value.markReadyIfInputsDone(job: id, candidates: dependents)
                    }
                    return .shardRecorded(peer: peer, worker: name, job: id, shard: shard, attempt: token, outcome: outcome)
                }
                return .none
            }
            return .none
        }
    }

    static func wireBox(_ box: LatentBox, latent: LatentShape) -> Reel_V1_LatentBox {
        var wire = Reel_V1_LatentBox()
        wire.frameStart = UInt32(box.frames.start)
        wire.frameLength = UInt32(box.frames.length)
        wire.rowStart = UInt32(box.rows.start)
        wire.rowLength = UInt32(box.rows.length)
        wire.columnStart = UInt32(box.columns.start)
        wire.columnLength = UInt32(box.columns.length)
        wire.channels = UInt32(box.channels)
        wire.latentFrames = UInt32(latent.frames)
        wire.latentRows = UInt32(latent.height)
        wire.latentColumns = UInt32(latent.width)
        wire.framesCyclic = box.frames.isCyclic
        return wire
    }
}

extension Coordinator {
    /// What a worker says an item took it to compute (loading the model and
    /// running it), for the job's history; capped at a day, so a peer's garbage
    /// cannot overflow a sum.
    static func computeMilliseconds(_ timings: Reel_V1_Timings) -> Int64 {
        Int64(min(timings.loadMs &+ timings.computeMs, 86_400_000))
    }
}
