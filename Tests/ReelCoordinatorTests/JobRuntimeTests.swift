import Foundation
import ReelPlan
import Testing

@testable import ReelCoordinator

/// The coordinator's pure bookkeeping, with no sockets or database.
@Suite struct JobRuntimeTests {
    func runtime() throws -> JobRuntime {
        let request = JobRequest(
            model: "m", frames: 49, width: 64, height: 64, seed: 3,
            plan: PlanConfig(window: 6, overlap: 2, steps: 4, blendEvery: 2))
        let plan = try request.makePlan(model: .wan21_1_3B)
        var shards: [ShardID: ShardRecord] = [:]
        for shard in plan.shards {
            var machine = ShardStateMachine()
            if shard.block == 0 { _ = machine.dependenciesMet() }
            shards[shard] = ShardRecord(machine: machine, token: 0, outputSHA: nil)
        }
        return JobRuntime(
            id: 1, request: request, model: .wan21_1_3B, plan: plan, promptSHA: "p", negativeSHA: nil, decodeWarmup: nil,
            machine: JobStateMachine(state: .running(attempt: 1)), shards: shards)
    }

    static func complete(_ job: inout JobRuntime, _ shard: ShardID, value: Float) {
        _ = job.shards[shard]!.machine.lease(to: "w", now: Timestamp(milliseconds: 0))
        _ = job.shards[shard]!.machine.complete(by: "w", attempt: 1)
        job.shards[shard]!.outputSHA = "sha-\(shard)"
        job.remember(shard, output: [Float](repeating: value, count: job.plan.regions[shard.region].box.count))
    }

    /// A block-1 shard becomes ready exactly when its overlapping block-0 shards are done.
    @Test func dependentsBecomeReadyWhenTheirInputsAreDone() throws {
        var job = try runtime()
        #expect(job.plan.windows.count >= 3)
        let target = ShardID(region: 1, block: 1)
        let deps = job.plan.dependencies(of: target)
        #expect(deps.count >= 2)
        for (i, dep) in deps.enumerated() {
            let ready = job.newlyReady(after: dep)
            #expect(ready.contains(target) == (i == deps.count - 1), "after \(dep)")
            Self.complete(&job, dep, value: 1)
        }
    }

    /// Inputs blend stored outputs; equal outputs blend to themselves, and an output
    /// dropped from memory is read back through the loader.
    @Test func inputsBlendOutputsAndReloadDroppedOnes() throws {
        var job = try runtime()
        let shard = ShardID(region: 1, block: 1)
        for dep in job.plan.dependencies(of: shard) { Self.complete(&job, dep, value: 2) }
        job.forgetOutputs()
        var loads: [String] = []
        let count = job.plan.regions[0].box.count
        let input = try job.input(for: shard) { sha in
            loads.append(sha)
            return [Float](repeating: 2, count: count)
        }
        #expect(loads.count == job.plan.dependencies(of: shard).count)
        #expect(input.allSatisfy { abs($0 - 2) < 1e-6 })
        let noise = try job.input(for: ShardID(region: 0, block: 0)) { _ in [] }
        #expect(noise == job.plan.noise(seed: 3, region: 0))
    }

    @Test func decodeFramesAreReleasedInOrder() {
        let chunks = DecodeChunk.layout(latentFrames: 9, size: 3, warmup: 1, temporalStride: 4)
        var progress = DecodeProgress(chunks: chunks, latents: [], latentsSHA: "", policy: .default)
        #expect(progress.arrived(2, frames: [2]).isEmpty)
        #expect(progress.arrived(1, frames: [1]).isEmpty)
        #expect(progress.arrived(0, frames: [0]).map(\.index) == [0, 1, 2])
        #expect(progress.isFinished)
    }
}
