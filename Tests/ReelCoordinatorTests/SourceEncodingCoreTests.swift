import Foundation
import ReelPlan
import ReelStore
import ReelWire
import Testing

@testable import ReelCoordinator

/// The core's decisions about conditioning sources encoded on workers (issue 16):
/// a job with conditioning items waits on one encoding per item, each claimed by a
/// worker that offers WORK_KIND_ENCODE_SOURCE, one at a time; the last commit
/// readies the first block; each shard's assignment then carries the latents of
/// the items it sees, an edit's first block starting at the edit's first step;
/// failures, invalid results and restarts go as for every lease.
@Suite struct SourceEncodingCoreTests {
    typealias Core = CoordinatorCoreTests

    static let imageA = String(repeating: "a", count: 64)
    static let imageB = String(repeating: "b", count: 64)
    static let video = String(repeating: "c", count: 64)

    /// A worker that encodes sources is a current one: it encodes later form too
    /// (older ones are `LaterFormSourceCoreTests`'s).
    static func hello(_ name: String, encodesSources: Bool) -> Reel_V1_Hello {
        var hello = Core.hello(name, bootID: name)
        hello.kinds = encodesSources ? [.denoise, .encodeSource] : [.denoise]
        hello.encodesLaterForm = encodesSources
        return hello
    }

    /// Two images pinned at the first and last latent frames.
    static let pins = [
        ConditioningItem(source: ConditioningSource(kind: .image, digest: imageA), frame: 0, mode: .pin),
        ConditioningItem(source: ConditioningSource(kind: .image, digest: imageB), latentFrame: 12, mode: .pin),
    ]

    /// Job 1 of model "wan" (49 frames at 64×64, 13 latent frames, 4 steps in two
    /// blocks) with `items`, waiting on their encodings (every shard pending).
    static func waitingJob(_ items: [ConditioningItem] = pins) throws -> JobRuntime {
        let base = try Core.job()
        var request = base.request
        request.conditioning = items
        request = request.canonicalizingConditioning(temporalStride: 4)
        let policy = CoordinatorConfig(dataDirectory: "/nonexistent").policy
        var job = JobRuntime(
            id: 1, request: request, model: base.model, plan: base.plan, promptSHA: "p", negativeSHA: nil, decodeWarmup: nil,
            machine: JobStateMachine(state: .running(attempt: 1)), shards: base.shards)
        for shard in job.plan.shards { job.shards[shard]?.machine = ShardStateMachine(policy: policy) }
        job.conditioning = try ConditioningPlan(plan: job.plan, items: request.conditioning ?? [])
        for index in job.conditioning!.items.indices {
            job.sources[index] = SourceEncodingProgress(machine: .ready(policy: policy), token: 0)
        }
        return job
    }

    static func connect(_ core: inout CoordinatorCore, _ peer: PeerID, _ hello: Reel_V1_Hello) {
        _ = core.handle(.hello(peer, hello, at: Core.at(0)))
        _ = core.handle(.workerRegistered(peer, outcome: .committed))
    }

    static func sourceClaims(_ actions: [CoordinatorAction]) -> [(PeerID, String, [String], Int)] {
        actions.compactMap { if case .claimSources(let peer, let worker, let models, let limit, _) = $0 { (peer, worker, models, limit) } else { nil } }
    }

    static func orders(_ actions: [CoordinatorAction]) -> [SourceAssignmentOrder] {
        actions.compactMap { if case .buildSourceAssignment(let order) = $0 { order } else { nil } }
    }

    static func core() -> CoordinatorCore { CoordinatorCore(config: CoordinatorConfig(dataDirectory: "/nonexistent"), startedAt: Core.origin) }

    @Test func onlyAWorkerThatEncodesSourcesIsGivenOneAtATime() throws {
        var core = Self.core()
        Self.connect(&core, Core.peerA, Self.hello("a", encodesSources: false))
        core.jobs[1] = try Self.waitingJob()
        let none = core.handle(.dispatchDue(at: Core.at(1), lanesBehind: false))
        #expect(Self.sourceClaims(none).isEmpty, "\(none)")
        #expect(!none.contains { if case .claimShards = $0 { true } else { false } }, "no shard is ready before the encodings")

        Self.connect(&core, Core.peerB, Self.hello("b", encodesSources: true))
        let claims = Self.sourceClaims(core.handle(.dispatchDue(at: Core.at(2), lanesBehind: false)))
        #expect(claims.count == 1 && claims.first?.0 == Core.peerB && claims.first?.2 == ["wan"] && claims.first?.3 == 1)

        let leased = core.handle(
            .sourcesClaimed(
                peer: Core.peerB, worker: "b", claims: .success([SourceClaim(job: 1, encoding: 1, attempt: 3, sourceSHA: Self.imageB)]),
                at: Core.at(2)))
        let order = try #require(Self.orders(leased).first)
        #expect(order.job == 1 && order.encoding == 1 && order.token == 3 && order.model == "wan" && order.sourceSHA == Self.imageB)
        #expect(order.kind == .image && order.width == 64 && order.height == 64 && order.fit == .crop)
        #expect(order.firstFrame == 0 && order.frameCount == 1 && order.fps == 16)
        #expect(core.workers[Core.peerB]?.running[.source(job: 1, 1)] != nil)
        #expect(core.jobs[1]?.sources[1]?.machine.state.holder == "b" && core.jobs[1]?.sources[1]?.token == 3)
        // While it holds one, it is not given a second; the claim for a job gone is given back.
        #expect(Self.sourceClaims(core.handle(.dispatchDue(at: Core.at(3), lanesBehind: false))).isEmpty)
        let gone = core.handle(
            .sourcesClaimed(
                peer: Core.peerB, worker: "b", claims: .success([SourceClaim(job: 9, encoding: 0, attempt: 1, sourceSHA: Self.imageA)]),
                at: Core.at(3)))
        #expect(gone.contains { if case .release(.source(job: 9, 0), token: 1, worker: "b", _, readBack: false) = $0 { true } else { false } })
    }

    @Test func theLastCommitReadiesTheFirstBlockAndShardsCarryTheirItemsLatents() throws {
        var core = Self.core()
        Self.connect(&core, Core.peerB, Self.hello("b", encodesSources: true))
        core.jobs[1] = try Self.waitingJob()
        let plan = try #require(core.jobs[1]?.plan)
        for (index, sha) in [(0, Self.imageA), (1, Self.imageB)] {
            _ = core.handle(
                .sourcesClaimed(
                    peer: Core.peerB, worker: "b", claims: .success([SourceClaim(job: 1, encoding: index, attempt: 1, sourceSHA: sha)]),
                    at: Core.at(1)))
            let arrived = core.handle(.sourceResult(Core.peerB, job: 1, encoding: index, token: 1, frames: [], at: Core.at(2)))
            let order = try #require(arrived.compactMap { if case .recordSourceResult(let order) = $0 { order } else { nil } }.first)
            // The item's latent box: 16 channels, one latent frame, 8×8.
            #expect(order.shape == [16, 1, 8, 8] && order.model == "wan")
            #expect(Set(order.firstShards) == Set(plan.shards.filter { $0.block == 0 }))
            // A stale attempt is refused, not recorded.
            let stale = core.handle(.sourceResult(Core.peerB, job: 1, encoding: index, token: 0, frames: [], at: Core.at(2)))
            #expect(!stale.contains { if case .recordSourceResult = $0 { true } else { false } })
            _ = core.handle(
                .sourceRecorded(
                    peer: Core.peerB, worker: "b", job: 1, encoding: index, attempt: 1, outcome: .committed(sha: "latents-\(index)", ready: []),
                    at: Core.at(3)))
            let job = try #require(core.jobs[1])
            #expect(job.sources[index]?.isDone == true && job.sources[index]?.latentsSHA == "latents-\(index)")
            // The first block waits for the last encoding.
            let firstReady = plan.shards.filter { $0.block == 0 }.allSatisfy { job.shards[$0]?.machine.state.name == .ready }
            #expect(firstReady == (index == 1), "after encoding \(index)")
            #expect(plan.shards.filter { $0.block > 0 }.allSatisfy { job.shards[$0]?.machine.state.name == .pending })
        }
        // Each shard carries the items whose boxes meet its region: frame 0 the first window's, frame 12 the last's.
        let job = try #require(core.jobs[1])
        let conditioning = try #require(job.conditioning)
        var seen = [0, 0]
        for shard in plan.shards {
            let carried = try #require(core.shardConditioning(job: job, shard: shard))
            #expect(carried.stepBegin == nil)
            #expect(carried.items.map(\.latentsSHA) == conditioning.items(for: shard).map { "latents-\($0)" })
            #expect(carried.items.allSatisfy { !$0.edit })
            for index in conditioning.items(for: shard) { seen[index] += 1 }
            let region = plan.regions[shard.region].box
            #expect(carried.items.map(\.box.frames.start).allSatisfy { region.frames.start <= $0 && $0 < region.frames.start + region.frames.length })
        }
        #expect(seen[0] > 0 && seen[1] > 0 && seen[0] + seen[1] < 2 * plan.shards.count, "\(seen)")
    }

    @Test func anEditStartsAtItsFirstStepInItsFirstBlock() throws {
        // 4 steps at strength 0.3: step 4 − int(1.2) = 3, inside block 1 ([2, 4)).
        let edit = ConditioningItem(source: ConditioningSource(kind: .video, digest: Self.video, frameCount: 49), frame: 0, mode: .start, strength: 0.3)
        var job = try Self.waitingJob([edit])
        job.sources[0]?.latentsSHA = "edit"
        let core = Self.core()
        for shard in job.plan.shards {
            let carried = try #require(core.shardConditioning(job: job, shard: shard))
            if shard.block == 0 {
                // Block 0 ([0, 2)) is before the edit starts: it begins at its end, 2, and runs no step.
                #expect(carried.items.isEmpty && carried.stepBegin == job.plan.blocks[0].end && carried.stepBegin == 2)
                // A worker older than empty blocks (no Hello.runs_empty_blocks) runs it in full.
                #expect(core.shardConditioning(job: job, shard: shard, emptyBlocks: false)?.stepBegin == nil)
            } else {
                #expect(carried.stepBegin == 3 && carried.items.map(\.latentsSHA) == ["edit"] && carried.items.allSatisfy(\.edit))
            }
        }
    }

    /// Blocks before an edit's first step are never checked, whatever the share:
    /// the edit overwrites their output everywhere. Its first block is.
    @Test func blocksBeforeAnEditAreNeverChecked() throws {
        let edit = ConditioningItem(source: ConditioningSource(kind: .video, digest: Self.video, frameCount: 49), frame: 0, mode: .start, strength: 0.3)
        var config = CoordinatorConfig(dataDirectory: "/nonexistent")
        config.verification = VerificationPolicy(fraction: 1)
        var core = CoordinatorCore(config: config, startedAt: Core.origin)
        core.jobs[1] = try Self.waitingJob([edit])
        let shards = try #require(core.jobs[1]?.plan.shards)
        #expect(shards.contains { $0.block == 0 } && shards.contains { $0.block == 1 })
        for shard in shards { #expect(core.verifies(job: 1, shard: shard) == (shard.block > 0), "\(shard)") }
    }

    @Test func aFailedEncodingIsRetriedAndAnInvalidOneChargesTheWorker() throws {
        var core = Self.core()
        Self.connect(&core, Core.peerB, Self.hello("b", encodesSources: true))
        core.jobs[1] = try Self.waitingJob()
        let claim = SourceClaim(job: 1, encoding: 0, attempt: 1, sourceSHA: Self.imageA)
        _ = core.handle(.sourcesClaimed(peer: Core.peerB, worker: "b", claims: .success([claim]), at: Core.at(1)))
        var failure = Reel_V1_ShardFailure()
        (failure.jobID, failure.attempt, failure.kind, failure.chunk, failure.failureClass) = (1, 1, .encodeSource, 0, .invalidInput)
        let failed = core.handle(.failure(Core.peerB, failure, at: Core.at(2)))
        #expect(failed.contains { if case .requeue(.source(job: 1, 0), token: 1, worker: "b", _, _, _) = $0 { true } else { false } }, "\(failed)")
        #expect(core.workers[Core.peerB]?.running[.source(job: 1, 0)] == nil)

        var again = Self.core()
        Self.connect(&again, Core.peerB, Self.hello("b", encodesSources: true))
        again.jobs[1] = try Self.waitingJob()
        _ = again.handle(.sourcesClaimed(peer: Core.peerB, worker: "b", claims: .success([claim]), at: Core.at(1)))
        _ = again.handle(.sourceResult(Core.peerB, job: 1, encoding: 0, token: 1, frames: [], at: Core.at(2)))
        let invalid = again.handle(
            .sourceRecorded(peer: Core.peerB, worker: "b", job: 1, encoding: 0, attempt: 1, outcome: .invalid("shape"), at: Core.at(3)))
        #expect(invalid.contains { if case .recordWorkerFailure(job: 1, worker: "b") = $0 { true } else { false } })
        #expect(invalid.contains { if case .requeue(.source(job: 1, 0), token: 1, worker: "b", _, _, _) = $0 { true } else { false } })
    }

    /// An encoding longer than the heartbeat timeout (a video source takes seconds)
    /// stays the worker's while its heartbeats list it, and is taken back once they stop.
    @Test func heartbeatsKeepALongEncodingTheWorkers() throws {
        var core = Self.core()
        Self.connect(&core, Core.peerB, Self.hello("b", encodesSources: true))
        core.jobs[1] = try Self.waitingJob()
        let claim = SourceClaim(job: 1, encoding: 1, attempt: 2, sourceSHA: Self.imageB)
        _ = core.handle(.sourcesClaimed(peer: Core.peerB, worker: "b", claims: .success([claim]), at: Core.at(1)))
        var item = Reel_V1_WorkItem()
        (item.jobID, item.kind, item.chunk, item.attempt) = (1, .encodeSource, 1, 2)
        let listed = core.handle(.heartbeat(Core.peerB, running: [item], at: Core.at(20)))
        #expect(!listed.contains { if case .requeue = $0 { true } else { false } }, "\(listed)")
        #expect(core.workers[Core.peerB]?.running[.source(job: 1, 1)] != nil)
        let silent = core.handle(.heartbeat(Core.peerB, running: [], at: Core.at(40)))
        #expect(silent.contains { if case .requeue(.source(job: 1, 1), token: 2, worker: "b", _, _, _) = $0 { true } else { false } }, "\(silent)")
    }

    /// The reconciler finds a source encoding committed while memory never heard
    /// (a lost answer): memory takes its latents and then the first block; while its
    /// result is still being recorded, the job is left alone.
    @Test func theReconcilerAdoptsACommittedEncodingBeforeItsShards() throws {
        func leasedCore() throws -> CoordinatorCore {
            var core = Self.core()
            Self.connect(&core, Core.peerB, Self.hello("b", encodesSources: true))
            var job = try Self.waitingJob([Self.pins[0]])
            job.sources[0] = SourceEncodingProgress(machine: .ready(policy: CoordinatorConfig(dataDirectory: "/x").policy), token: 0)
            core.jobs[1] = job
            let claim = SourceClaim(job: 1, encoding: 0, attempt: 1, sourceSHA: Self.imageA)
            _ = core.handle(.sourcesClaimed(peer: Core.peerB, worker: "b", claims: .success([claim]), at: Core.at(1)))
            return core
        }
        let job = try Self.waitingJob([Self.pins[0]])
        let spec = try StoredJob(request: job.request, model: job.model, decodeWarmup: nil, embeddings: .standIn).json()
        var committed = JobSnapshot(
            id: 1, state: .running(attempt: 1), spec: spec, promptSHA: "p", negativeSHA: nil, latentsSHA: nil,
            shards: job.plan.shards.map { shard in
                (shard, ItemSnapshot(state: shard.block == 0 ? .ready(attempts: 0, notBefore: nil) : .pending, token: 0, worker: nil, outputSHA: nil))
            }, chunks: [])
        committed.sources = [0: ItemSnapshot(state: .done(worker: "b", attempt: 1), token: 1, worker: "b", outputSHA: "latents-0")]

        var recording = try leasedCore()
        _ = recording.handle(.sourceResult(Core.peerB, job: 1, encoding: 0, token: 1, frames: [], at: Core.at(2)))
        _ = recording.handle(.databaseRead(.success([committed])))
        #expect(recording.jobs[1]?.sources[0]?.latentsSHA == nil && recording.jobs[1]?.shards[Core.first]?.machine.state.name == .pending)

        var lost = try leasedCore()
        let repaired = lost.handle(.databaseRead(.success([committed])))
        #expect(repaired.contains { if case .log(.warning, "repaired: source encoding state differs", _) = $0 { true } else { false } })
        let after = try #require(lost.jobs[1])
        #expect(after.sources[0]?.isDone == true && after.sources[0]?.latentsSHA == "latents-0")
        #expect(after.shards[Core.first]?.machine.state.name == .ready)
        #expect(lost.workers[Core.peerB]?.running[.source(job: 1, 0)] == nil)
    }

    /// A shard is never sent without its items' latents: one whose item memory has
    /// no latents for is given back, and the job says what it waits on.
    @Test func aShardIsNotSentWithoutItsConditioning() throws {
        var core = Self.core()
        #expect(core.sourceWait(1) == nil)
        core.jobs[1] = try Self.waitingJob()
        #expect(core.sourceWait(1)?.contains("encodes conditioning sources for model 'wan'") == true)
        Self.connect(&core, Core.peerB, Self.hello("b", encodesSources: true))
        #expect(core.sourceWait(1) == "waiting for its conditioning sources to be encoded on a worker")
        #expect(core.encodingWait(1) == core.sourceWait(1), "reel status shows it")
        let policy = CoordinatorConfig(dataDirectory: "/nonexistent").policy
        core.jobs[1]?.sources[0] = SourceEncodingProgress(machine: ShardStateMachine(state: .done(worker: "b", attempt: 1), policy: policy), token: 1, latentsSHA: nil)
        core.jobs[1]?.sources[1] = SourceEncodingProgress(machine: ShardStateMachine(state: .done(worker: "b", attempt: 1), policy: policy), token: 1, latentsSHA: "l")
        #expect(core.sourceWait(1) == nil)
        let actions = core.buildAssignment(job: 1, shard: Core.first, token: 3, for: Core.peerB, at: Core.at(1))
        #expect(actions.count == 1)
        #expect(actions.contains { if case .release(.shard(job: 1, Core.first), token: 3, worker: "b", _, readBack: true) = $0 { true } else { false } }, "\(actions)")
    }

    /// After a restart the job is rebuilt from its rows: a done encoding keeps its
    /// latents, a lease held at the crash expires and goes back to the queue, and
    /// the first block is not readied behind the encodings' back.
    @Test func aRestartedCoordinatorResumesTheEncodings() throws {
        let job = try Self.waitingJob()
        let spec = try StoredJob(request: job.request, model: job.model, decodeWarmup: nil, embeddings: .standIn).json()
        let pending = ItemSnapshot(state: .pending, token: 0, worker: nil, outputSHA: nil)
        let done = ItemSnapshot(state: .done(worker: "a", attempt: 1), token: 1, worker: "a", outputSHA: "latents-0")
        let leased = ItemSnapshot(state: .leased(worker: "b", attempt: 1, expiresAt: Core.at(30).stamp), token: 2, worker: "b", outputSHA: nil)
        var snapshot = JobSnapshot(
            id: 1, state: .running(attempt: 1), spec: spec, promptSHA: "p", negativeSHA: nil, latentsSHA: nil,
            shards: job.plan.shards.map { ($0, pending) }, chunks: [])
        snapshot.sources = [0: done, 1: leased]
        var core = Self.core()
        let actions = core.handle(.recovered([snapshot]))
        #expect(!actions.contains { if case .markReady = $0 { true } else { false } }, "\(actions)")
        let resumed = try #require(core.jobs[1])
        #expect(resumed.conditioning?.items.count == 2)
        #expect(resumed.sources[0]?.isDone == true && resumed.sources[0]?.latentsSHA == "latents-0")
        #expect(resumed.sources[1]?.machine.state.holder == "b" && resumed.sources[1]?.token == 2)
        let expired = core.handle(.tick(at: Core.at(31)))
        #expect(expired.contains { if case .requeue(.source(job: 1, 1), token: 2, worker: "b", _, _, _) = $0 { true } else { false } }, "\(expired)")

        // Rows that do not match the items cannot be resumed.
        snapshot.sources = [0: done]
        var other = Self.core()
        #expect(other.handle(.recovered([snapshot])).contains { if case .setJobFailed(1, _) = $0 { true } else { false } })
    }

    /// A shard is sent the part of an item inside its region: a whole-clip edit's
    /// latents cut to the window's frames, value for value.
    @Test func aShardIsSentThePartOfAnItemInItsRegion() throws {
        let edit = ConditioningItem(source: ConditioningSource(kind: .video, digest: Self.video, frameCount: 49), frame: 0, mode: .start, strength: 0.5)
        let job = try Self.waitingJob([edit])
        let item = try #require(job.conditioning?.items.first).box
        // Each value names its own position, so a wrong cut shows.
        var values = [Float](repeating: 0, count: item.count)
        for c in 0 ..< item.channels {
            for t in 0 ..< item.frames.length {
                for y in 0 ..< item.rows.length {
                    for x in 0 ..< item.columns.length {
                        values[item.localIndex(channel: c, frame: t, row: y, column: x)] = Float(((c * 100 + t) * 100 + y) * 100 + x)
                    }
                }
            }
        }
        #expect(job.plan.regions.count > 1)
        for region in job.plan.regions {
            let (box, cut) = Coordinator.slice(values, of: item, to: region.box)
            #expect(box.frames == region.box.frames && box.rows == item.rows && box.columns == item.columns, "\(box)")
            #expect(cut.count == box.count)
            let first = region.box.frames.start
            for c in [0, 15] {
                for t in [0, box.frames.length - 1] {
                    #expect(cut[box.localIndex(channel: c, frame: t, row: 7, column: 3)] == Float(((c * 100 + first + t) * 100 + 7) * 100 + 3))
                }
            }
        }
        // An item inside the region is sent whole.
        let whole = Coordinator.slice(values, of: item, to: item)
        #expect(whole.0 == item && whole.1 == values)

        // Read from the blob store, only the runs the cut needs: the same values, for
        // each window (whole frames: one run per channel) and for a tile of one.
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("reel-slice-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: directory) }
        let blobs = try BlobStore(directory: directory)
        let sha = try blobs.putFloats(values)
        let tile = LatentBox(
            frames: job.plan.regions[1].box.frames, rows: Span(start: 2, length: 5, axisLength: item.rows.axisLength),
            columns: Span(start: 1, length: 3, axisLength: item.columns.axisLength), channels: item.channels)
        for region in job.plan.regions.map(\.box) + [tile] {
            let read = try Coordinator.readSlice(sha, of: item, to: region, blobs: blobs)
            let cut = Coordinator.slice(values, of: item, to: region)
            #expect(read.0 == cut.0 && read.1 == cut.1, "\(region)")
            if region.rows == item.rows && region.columns == item.columns {
                #expect(Coordinator.cut(item, to: region)?.runs.count == item.channels)
            }
        }
        #expect(try Coordinator.readSlice(sha, of: item, to: item, blobs: blobs).1 == values)
    }

    /// An item whose latents would not fit in one `SourceResult` is refused at
    /// submission, naming the source and how many of its frames would fit.
    @Test func anItemTooLargeForOneMessageIsRefused() throws {
        let edit = ConditioningItem(source: ConditioningSource(kind: .video, digest: Self.video, frameCount: 49), frame: 0, mode: .start, strength: 0.5)
        let job = try Self.waitingJob([edit])
        let box = try #require(job.conditioning?.items.first).box
        let perFrame = box.channels * box.rows.length * box.columns.length * 4
        // Room for 5 latent frames (17 pixel frames) beside the 1 MiB kept for headers.
        let limit = (1 << 20) + 5 * perFrame
        #expect(box.frames.length > 5)
        do {
            try Coordinator.checkSourceLatentsFit(job.conditioning, stride: 4, maxMessageBytes: limit)
            Issue.record("an item of \(box.frames.length) latent frames fit a message with room for 5")
        } catch {
            #expect(error.description.contains(Self.video) && error.description.contains("at most 17 of its frames"), "\(error)")
            #expect(error.description.contains("edit a longer video in parts"), "\(error)")
        }
        #expect(throws: APIError.badRequest(
            "conditioning source \(Self.video) (start) encodes to \(box.frames.length) latent frames, \(box.count * 4 >> 20) MiB, more than one "
                + "message of the farm's 1 MiB holds: not one latent frame of it fits at this size: use a smaller size")
        ) { try Coordinator.checkSourceLatentsFit(job.conditioning, stride: 4, maxMessageBytes: (1 << 20) + perFrame - 1) }
        try Coordinator.checkSourceLatentsFit(job.conditioning, stride: 4, maxMessageBytes: (1 << 20) + box.count * 4)
        try Coordinator.checkSourceLatentsFit(nil, stride: 4, maxMessageBytes: 1 << 20)
    }

    @Test func theCacheKeyCoversWhatDecidesTheEncoding() throws {
        let job = try Self.waitingJob()
        let items = try #require(job.conditioning?.items)
        let key = { (resolved: ResolvedConditioning, request: JobRequest, digest: String) in
            Coordinator.sourceCacheKey(resolved, request: request, modelDigest: digest)
        }
        let base = key(items[0], job.request, "d1")
        #expect(base == key(items[0], job.request, "d1") && SHA256Check.isDigest(base))
        #expect(base != key(items[0], job.request, "d2"), "another model digest")
        var fps = job.request
        fps.fps = 24
        #expect(base != key(items[0], fps, "d1"), "another fps")
        var padded = items[0].item
        padded.fit = .pad
        #expect(base != key(ResolvedConditioning(item: padded, box: items[0].box), job.request, "d1"), "another fit")
        #expect(base != key(items[1], job.request, "d1"), "another source")
        // Where an item sits changes its encoding only by its form (`LaterFormSourceCoreTests`).
        var moved = items[0].item
        moved.frame = nil
        moved.latentFrame = 3
        #expect(base == key(ResolvedConditioning(item: moved, box: items[0].box), job.request, "d1"))
    }
}

enum SHA256Check {
    static func isDigest(_ text: String) -> Bool { text.count == 64 && text.allSatisfy(\.isHexDigit) }
}
