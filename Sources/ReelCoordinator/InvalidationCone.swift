import ReelPlan

/// What a disproved result reaches, and what must happen to each item it reaches.
///
/// A shard's output is blended into its neighbours' inputs at the next block,
/// and theirs into the block after, down to the final blend and the decode. When
/// a result is disproved (its worker lost a verification ballot) or suspected
/// (every other result of a quarantined worker), its cone — the shard and every
/// shard that transitively reads it — was computed from a wrong input and is
/// redone. Each item's fate depends on where it is:
///
/// - a **root** whose correct output is known (the ballot's winner stored it)
///   takes that output and stays done; a root without one is computed again,
///   by anyone but the quarantined worker;
/// - a **done** or **leased** shard in the cone goes back to pending (leases are
///   revoked: the holder is told to stop, and a result it sends later is stale
///   because the revocation bumps the fencing token), or to ready when every input
///   is done and outside the cone;
/// - a shard whose result is **being recorded** cannot be stopped: it is marked,
///   and invalidated again once its record commits;
/// - a **ready** shard with an input in the cone goes back to pending;
/// - if the cone reaches the final block while the job **decodes**, the decode is
///   abandoned (its chunks cancelled, the job back to running): every chunk is cut
///   from the blended clip, which changes.
///
/// Pure: the coordinator applies the result (to PostgreSQL in one transaction, then memory).
public struct InvalidationCone: Sendable, Equatable {
    /// Roots whose output is replaced by the ballot winner's (stay done).
    public var adopt: [ShardID: String] = [:]
    /// Shards to make ready now (their inputs are done and correct).
    public var ready: Set<ShardID> = []
    /// Shards back to pending (an input will change).
    public var pending: Set<ShardID> = []
    /// Leases to revoke, with their holder (the holder is told to stop).
    public var revoke: [ShardID: String] = [:]
    /// Results being recorded, to invalidate again when their record commits.
    public var recheckAfterRecord: Set<ShardID> = []
    /// Whether the job's decode (if started) must be abandoned.
    public var abandonDecode = false

    /// Every shard transitively reading one of `roots` (the roots included).
    public static func reach(from roots: some Sequence<ShardID>, in plan: Plan) -> Set<ShardID> {
        var cone = Set(roots)
        var frontier = Array(cone)
        while let shard = frontier.popLast() {
            for next in plan.dependents(of: shard) where cone.insert(next).inserted { frontier.append(next) }
        }
        return cone
    }

    /// The cone of `roots` in a job with shard states `states`.
    ///
    /// - Parameters:
    ///   - roots: each disproved or suspected shard, with the winning output when a ballot decided it.
    ///   - states: every shard's state in memory.
    ///   - recording: shards whose result is being recorded now.
    ///   - decoding: whether the job's final blend or decode has started.
    public init(
        roots: [ShardID: String?], plan: Plan, states: [ShardID: ShardState], recording: Set<ShardID>, decoding: Bool
    ) {
        let cone = Self.reach(from: roots.keys, in: plan)
        // Shards that will hold a correct output once the roots adopt theirs.
        var settled: Set<ShardID> = []
        for (root, winner) in roots {
            if let winner {
                adopt[root] = winner
                settled.insert(root)
            }
        }
        for shard in cone.sorted() where !settled.contains(shard) {
            let state = states[shard] ?? .pending
            if recording.contains(shard) {
                recheckAfterRecord.insert(shard)
                continue
            }
            if case .leased(let holder, _, _) = state { revoke[shard] = holder }
            switch state {
            case .cancelled, .failed: continue
            default: break
            }
            let inputsReady = plan.dependencies(of: shard).allSatisfy { input in
                settled.contains(input) || (!cone.contains(input) && states[input]?.name == .done)
            }
            if inputsReady { ready.insert(shard) } else { pending.insert(shard) }
        }
        // An adopted final output differs from the one blended, too.
        abandonDecode = decoding && plan.finalShards.contains(where: cone.contains)
    }
}

extension InvalidationCone {
    /// The shards to compute again when `roots` are disproved: the roots' cone
    /// (``reach(from:in:)``) less failed and cancelled shards, and, transitively, every
    /// done input of a shard to redo whose output blob was already deleted
    /// (`collected`): the engine is deterministic, so computing that input again
    /// gives back its output, and the redone shard can read it.
    public static func redo(
        from roots: Set<ShardID>, in plan: Plan, states: [ShardID: ShardState.Name], collected: Set<ShardID>
    ) -> Set<ShardID> {
        var redo = reach(from: roots, in: plan).filter { states[$0] != .failed && states[$0] != .cancelled }
        var frontier = Array(redo)
        while let shard = frontier.popLast() {
            for input in plan.dependencies(of: shard) where collected.contains(input) && redo.insert(input).inserted {
                frontier.append(input)
            }
        }
        return redo
    }
}
