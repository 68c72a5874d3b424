import ReelPlan

/// A job the coordinator is running: the request, its plan and each shard's
/// state. Pure bookkeeping: shard outputs stay in the blob store (the coordinator
/// holds no tensor of a job in memory, so its memory does not grow with the clip),
/// and the coordinator rebuilds this value from PostgreSQL after a restart.
struct JobRuntime: Sendable {
    let id: Int64
    let request: JobRequest
    let model: ModelGeometry
    let plan: Plan
    /// Content addresses of the prompt embeddings (and negative, with guidance).
    /// Empty while ``encoding`` is not done (no shard is ready before it is).
    var promptSHA: String
    var negativeSHA: String?
    /// The prompt encoded on a worker, for a model with a text encoder whose
    /// embeddings were neither given nor cached.
    var encoding: PromptEncodingProgress?
    /// The job's conditioning sources being encoded, by item index (empty without conditioning).
    var sources: [Int: SourceEncodingProgress] = [:]
    /// The conditioning items placed on the plan (nil without conditioning).
    var conditioning: ConditioningPlan?
    /// The prompt timeline (`--prompt-at`), nil for a job with one prompt.
    var timeline: JobTimeline?
    /// Warm-up latent frames per decode chunk, as the workers' VAE needs.
    let decodeWarmup: Int?
    var machine: JobStateMachine {
        didSet { if machine.state.name != oldValue.state.name { revision = Revision.next() } }
    }
    var shards: [ShardID: ShardRecord]
    /// The decode stage, once the last block is blended.
    var decode: DecodeProgress?
    /// Off-loop work in flight for the job as a whole (the final blend, joining
    /// the video), so it is started once.
    var finishing = false
    /// Done shards being verified (``ShardCheck``): their dependents and the final blend wait.
    var checks: [ShardID: ShardCheck] = [:]
    /// Done shards whose result a check confirmed (a ballot agreed or decided on
    /// it): a later quarantine of their worker leaves them done.
    var confirmed: Set<ShardID> = []
    /// Invalidations ordered and not yet answered: the final blend waits for them.
    var invalidating = 0
    /// An invalidation that found the job blending its clip or resetting its
    /// decode, with its reason: decided again once that answers.
    var deferredInvalidation: String?
    /// Moved on by every change of the job's state, and new for a runtime rebuilt
    /// from its rows (a retry, a repair): a job that went decoding → running →
    /// decoding, or running → failed → running again, is not the job the
    /// reconciler's snapshot may have seen in between (``ReconcileBaseline``).
    private(set) var revision = Revision.next()

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

    /// Whether every last-block shard is done, so the clip can be blended and decoded.
    var allShardsDone: Bool {
        plan.finalShards.allSatisfy { shards[$0]?.machine.state.name == .done }
    }

    /// Whether some shard is ready to lease at `now` (so a claim is worth a statement).
    func hasReadyShard(now: Timestamp) -> Bool {
        shards.values.contains { record in
            if case .ready(_, let notBefore) = record.machine.state { return notBefore.map { $0 <= now } ?? true }
            return false
        }
    }

    /// Counts by state, for status reports.
    var shardCounts: [ShardState.Name: Int] {
        var counts: [ShardState.Name: Int] = [:]
        for record in shards.values { counts[record.machine.state.name, default: 0] += 1 }
        return counts
    }

    /// The shards that read `shard`'s output, each with every shard its input
    /// reads: what the store needs to decide, in the completing transaction, which
    /// of them are now ready.
    func dependentsWithInputs(of shard: ShardID) -> [(shard: ShardID, inputs: [ShardID])] {
        plan.dependents(of: shard).map { ($0, plan.dependencies(of: $0)) }
    }

    /// How `shard`'s input is made, with the stored outputs it blends: everything
    /// the off-loop builder needs, none of it a tensor.
    func inputRecipe(for shard: ShardID) throws -> ShardInputRecipe {
        switch try plan.input(for: shard) {
        case .noise(let box):
            return .noise(seed: request.seed, box: box)
        case .blend(let box, let sources):
            var stored: [Int: String] = [:]
            for source in sources {
                guard let sha = shards[source]?.outputSHA else { throw PlanError.missingOutput(region: source.region) }
                stored[source.region] = sha
            }
            return .blend(box: box, outputs: stored)
        }
    }

    /// The inputs of `shard` whose output memory does not know.
    func unknownInputs(of shard: ShardID) -> [ShardID] {
        plan.dependencies(of: shard).filter { shards[$0]?.outputSHA == nil }
    }

    /// The last block's stored outputs by region, for the final blend.
    func finalOutputs() throws -> [Int: String] {
        var stored: [Int: String] = [:]
        for shard in plan.finalShards {
            guard let sha = shards[shard]?.outputSHA else { throw PlanError.missingOutput(region: shard.region) }
            stored[shard.region] = sha
        }
        return stored
    }
}

/// A shard's input as data: noise of a box, or a blend of stored region outputs.
enum ShardInputRecipe: Sendable {
    case noise(seed: UInt64, box: LatentBox)
    case blend(box: LatentBox, outputs: [Int: String])
}
