import PropertyBased
import Testing
import ReelPlan

@Suite struct GraphTests {
    @Test func wanTenSecondClipHasThreeWindowsTenBlocksAndThirtyShards() throws {
        let clip = try ClipGeometry(job: JobSpec(frames: 161, fps: 16, width: 832, height: 480), model: .wan21_1_3B)
        let plan = try Plan(geometry: clip)
        #expect(plan.windows.count == 3 && plan.blocks.count == 10)
        #expect(plan.shardCount == 30 && plan.shards.count == 30 && plan.graphDepth == 10)
        // Windows [0,21), [16,37), [20,41) all overlap each other.
        #expect(plan.dependencies(of: ShardID(region: 0, block: 1)).map(\.region) == [0, 1, 2])
        #expect(try plan.input(for: ShardID(region: 1, block: 0)) == .noise(box: plan.regions[1].box))
    }

    @Test func aSlowNeighbourDelaysOnlyItsNeighbours() throws {
        // 81 latent frames, window 21, overlap 5: windows 0…4 at 0, 16, 32, 48, 60.
        let clip = try ClipGeometry(job: JobSpec(frames: 321, fps: 16, width: 832, height: 480), model: .wan21_1_3B)
        let plan = try Plan(geometry: clip)
        #expect(plan.windows.map(\.start) == [0, 16, 32, 48, 60])
        // Everything in block 0 is done except window 4.
        let completed = Set((0..<4).map { ShardID(region: $0, block: 0) })
        let ready = plan.readyShards(completed: completed)
        // Window 4 itself, plus windows 0…2 of block 1 (window 3 overlaps window 4).
        #expect(ready == [ShardID(region: 4, block: 0)] + (0...2).map { ShardID(region: $0, block: 1) })
        #expect(!plan.canDrop(ShardID(region: 0, block: 0), completed: completed))
        let next = completed.union([ShardID(region: 0, block: 1), ShardID(region: 1, block: 1)])
        #expect(plan.canDrop(ShardID(region: 0, block: 0), completed: next))
        #expect(!plan.canDrop(ShardID(region: 1, block: 0), completed: next))  // window 2 of block 1 still needs it
        #expect(plan.readyShards(completed: completed, excluding: [ShardID(region: 4, block: 0)]).count == 3)
    }

    @Test func lastBlockOutputsAreKeptForTheFinalBlend() throws {
        let plan = try PlanCase(
            channels: 1, latentFrames: 10, latentHeight: 2, latentWidth: 2, window: 4, overlap: 1, loop: false,
            tile: nil, steps: 4, blendEvery: 2, floor: 0.05
        ).plan()
        let all = Set(plan.shards)
        for shard in plan.finalShards { #expect(!plan.canDrop(shard, completed: all)) }
        #expect(plan.finalShards.allSatisfy { $0.block == plan.blocks.count - 1 })
        #expect(plan.readyShards(completed: all).isEmpty)
        #expect(throws: PlanError.unknownShard(ShardID(region: 99, block: 0))) {
            try plan.input(for: ShardID(region: 99, block: 0))
        }
    }

    /// The neighbour lists come from the windows' and the tiles' own overlaps; they
    /// must equal comparing every pair of regions, which is how they were built
    /// before (quadratic in the regions), in loop mode too.
    @Test func neighboursEqualTheAllPairsSearch() async {
        await propertyCheck(input: PlanCase.generator) { c in
            let plan = try c.plan()
            let allPairs = plan.regions.map { r in plan.regions.filter { $0.box.overlaps(r.box) }.map(\.index) }
            #expect(plan.neighbours == allPairs, "\(c)")
        }
    }

    @Test func tenMinuteLoopingTiledClipHasTheAllPairsNeighbours() throws {
        // 2401 latent frames in 151 looping windows, 104 × 60 latent in 3 × 2 tiles.
        let clip = try ClipGeometry(job: JobSpec(frames: 9601, fps: 16, width: 832, height: 480), model: .wan21_1_3B)
        let plan = try Plan(geometry: clip, config: PlanConfig(loop: true, tile: TileSpec(width: 56, height: 32)))
        #expect(plan.windows.count == 151 && plan.tiles.count == 6)
        let allPairs = plan.regions.map { r in plan.regions.filter { $0.box.overlaps(r.box) }.map(\.index) }
        #expect(plan.neighbours == allPairs)
        // The wrap: the first window's regions reach the last window's.
        #expect(plan.neighbours[0].contains(150 * 6))
    }

    @Test func dependenciesAreExactlyTheOverlappingRegionsOfThePreviousBlock() async {
        await propertyCheck(input: PlanCase.generator) { c in
            let plan = try c.plan()
            let cells = plan.regions.map { TestSupport.positions(of: $0.box, shape: plan.latent) }
            for shard in plan.shards {
                let expected: [ShardID] =
                    shard.block == 0
                    ? []
                    : plan.regions.indices
                        .filter { !cells[$0].isDisjoint(with: cells[shard.region]) }
                        .map { ShardID(region: $0, block: shard.block - 1) }
                #expect(plan.dependencies(of: shard) == expected, "\(c) \(shard)")
                let input = try plan.input(for: shard)
                #expect(input.sources == expected)
                #expect(input.box == plan.regions[shard.region].box)
                // Dependents mirror dependencies.
                for dependent in plan.dependents(of: shard) {
                    #expect(plan.dependencies(of: dependent).contains(shard))
                }
            }
        }
    }

    @Test func theGraphIsAcyclicWithDepthEqualToTheBlockCount() async {
        await propertyCheck(input: PlanCase.generator) { c in
            let plan = try c.plan()
            // Kahn's algorithm over the explicit edges: every shard gets scheduled.
            var indegree = [ShardID: Int]()
            var depth = [ShardID: Int]()
            for shard in plan.shards { indegree[shard] = plan.dependencies(of: shard).count }
            var queue = plan.shards.filter { indegree[$0] == 0 }
            for shard in queue { depth[shard] = 1 }
            var visited = 0
            while let shard = queue.popLast() {
                visited += 1
                for dependent in plan.dependents(of: shard) {
                    depth[dependent] = max(depth[dependent] ?? 0, depth[shard]! + 1)
                    indegree[dependent]! -= 1
                    if indegree[dependent] == 0 { queue.append(dependent) }
                }
            }
            #expect(visited == plan.shardCount, "\(c)")
            #expect(depth.values.max() == plan.graphDepth, "\(c)")
            #expect(plan.shardCount == plan.regions.count * plan.blocks.count)
        }
    }

    @Test func runningReadyShardsInAnyOrderFinishesTheJob() async {
        await propertyCheck(input: PlanCase.generator, Gen.uint64(in: 0 ... .max)) { c, seed in
            let plan = try c.plan()
            var completed = Set<ShardID>()
            var rng = seed | 1
            var rounds = 0
            while completed.count < plan.shardCount && rounds <= plan.shardCount {
                let ready = plan.readyShards(completed: completed)
                #expect(!ready.isEmpty, "\(c): stuck with \(completed.count) done")
                if ready.isEmpty { return }
                for shard in ready {
                    #expect(plan.dependencies(of: shard).allSatisfy(completed.contains))
                }
                // Finish a random ready shard, as the fastest worker would.
                rng = rng &* 6_364_136_223_846_793_005 &+ 1
                completed.insert(ready[Int(rng >> 33) % ready.count])
                rounds += 1
            }
            #expect(completed.count == plan.shardCount, "\(c)")
        }
    }
}
