import ReelPlan
import ReelTensor

/// A job the coordinator is running: the request, its plan, each shard's state,
/// and the shard outputs it blends into inputs. Pure: the coordinator performs the
/// I/O each transition asks for, and rebuilds this value from PostgreSQL and the
/// data directory after a restart.
struct JobRuntime: Sendable {
    let id: Int64
    let request: JobRequest
    let model: ModelGeometry
    let plan: Plan
    /// Content addresses of the prompt embeddings (and negative, with guidance).
    let promptSHA: String
    let negativeSHA: String?
    /// Warm-up latent frames per decode chunk, as the workers' VAE needs.
    let decodeWarmup: Int?
    var machine: JobStateMachine
    var shards: [ShardID: ShardRecord]
    /// Outputs kept in memory; anything else is read back from the blob store.
    private(set) var outputs: [ShardID: [Float]] = [:]
    /// The decode stage, once the last block is blended.
    var decode: DecodeProgress?

    init(
        id: Int64, request: JobRequest, model: ModelGeometry, plan: Plan, promptSHA: String, negativeSHA: String?,
        decodeWarmup: Int?, machine: JobStateMachine, shards: [ShardID: ShardRecord]
    ) {
        self.id = id
        self.request = request
        self.model = model
        self.plan = plan
        self.promptSHA = promptSHA
        self.negativeSHA = negativeSHA
        self.decodeWarmup = decodeWarmup
        self.machine = machine
        self.shards = shards
    }

    /// What workers cache the prompt embeddings (and negative ones) under.
    var embedsID: String { negativeSHA.map { promptSHA + "+" + $0 } ?? promptSHA }

    /// The shards whose outputs are stored.
    var completed: Set<ShardID> {
        Set(shards.compactMap { id, record in record.machine.state.name == .done ? id : nil })
    }

    /// Whether every last-block shard is done, so the clip can be blended and decoded.
    var allShardsDone: Bool {
        plan.finalShards.allSatisfy { shards[$0]?.machine.state.name == .done }
    }

    /// Counts by state, for status reports.
    var shardCounts: [ShardState.Name: Int] {
        var counts: [ShardState.Name: Int] = [:]
        for record in shards.values { counts[record.machine.state.name, default: 0] += 1 }
        return counts
    }

    /// The pending dependents of `shard` whose dependencies are now all done.
    func newlyReady(after shard: ShardID) -> [ShardID] {
        let done = completed.union([shard])
        return plan.dependents(of: shard).filter { dependent in
            shards[dependent]?.machine.state.name == .pending && plan.dependencies(of: dependent).allSatisfy(done.contains)
        }
    }

    /// Keeps `values` as `shard`'s output and drops outputs nobody will read again.
    mutating func remember(_ shard: ShardID, output values: [Float]) {
        outputs[shard] = values
        let done = completed
        for id in Array(outputs.keys) where plan.canDrop(id, completed: done) { outputs[id] = nil }
    }

    /// Forgets cached outputs (they stay in the blob store).
    mutating func forgetOutputs() { outputs.removeAll() }

    /// `shard`'s input latents, `[C, t, y, x]` over its region: the job's noise for
    /// block 0, else the blend of the previous block's overlapping outputs.
    mutating func input(for shard: ShardID, load: (String) throws -> [Float]) throws -> [Float] {
        switch try plan.input(for: shard) {
        case .noise(let box):
            return plan.noise(seed: request.seed).values(in: box)
        case .blend(let box, let sources):
            return try plan.blend(outputs: try outputsByRegion(sources, load: load), into: box)
        }
    }

    /// The finished latents `[C, F, H, W]`: the last block's outputs blended over the clip.
    mutating func finalLatents(load: (String) throws -> [Float]) throws -> [Float] {
        try plan.blend(outputs: try outputsByRegion(plan.finalShards, load: load), into: plan.clipBox)
    }

    private mutating func outputsByRegion(_ ids: [ShardID], load: (String) throws -> [Float]) throws -> [Int: [Float]] {
        var byRegion: [Int: [Float]] = [:]
        for id in ids {
            if let cached = outputs[id] {
                byRegion[id.region] = cached
            } else {
                guard let sha = shards[id]?.outputSHA else { throw PlanError.missingOutput(region: id.region) }
                let values = try load(sha)
                outputs[id] = values
                byRegion[id.region] = values
            }
        }
        return byRegion
    }
}
