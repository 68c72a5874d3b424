import PropertyBased
import Testing
import ReelPlan

@Suite struct LayoutTests {
    @Test func linearWindowsUseStrideWindowMinusOverlapAndEndAtTheClipEnd() {
        let spans = Span.layout(axisLength: 41, size: 21, overlap: 5)
        #expect(spans.map(\.start) == [0, 16, 20])
        #expect(spans.allSatisfy { $0.length == 21 })
        #expect(spans.last?.end == 41)
    }

    @Test func exactFitHasNoExtraWindow() {
        // 37 = 21 + 16: two windows exactly, no remnant.
        #expect(Span.layout(axisLength: 37, size: 21, overlap: 5).map(\.start) == [0, 16])
    }

    @Test func windowLongerThanTheClipIsClampedToOneWindow() {
        #expect(Span.layout(axisLength: 7, size: 21, overlap: 5) == [Span.whole(7)])
        #expect(Span.layout(axisLength: 21, size: 21, overlap: 20) == [Span.whole(21)])
    }

    @Test func loopWindowsWrapWithEqualOverlapsWhenTheCountDividesTheCycle() {
        // 40 frames, window 12, overlap 2: stride 10 → 4 windows at 0, 10, 20, 30; the
        // last covers [30, 42) = [30, 40) ∪ [0, 2).
        let spans = Span.layout(axisLength: 40, size: 12, overlap: 2, cyclic: true)
        #expect(spans.map(\.start) == [0, 10, 20, 30])
        #expect(spans[3].wraps)
        #expect(spans[3].end == 42)
        #expect(spans[3].indices == Array(30..<40) + [0, 1])
        #expect(spans[3].description == "[30, 42) = [30, 40) ∪ [0, 2)")
    }

    @Test func loopWindowsSpreadTheRemainderSoOverlapsDifferByAtMostOne() {
        // 41 frames, window 21, overlap 5: ⌈41/16⌉ = 3 windows at ⌊41k/3⌋ = 0, 13, 27.
        let spans = Span.layout(axisLength: 41, size: 21, overlap: 5, cyclic: true)
        #expect(spans.map(\.start) == [0, 13, 27])
        // Overlaps 8, 7 and the wrap 27 + 21 − 41 = 7.
        #expect(spans[2].indices.suffix(7) == [0, 1, 2, 3, 4, 5, 6])
    }

    @Test func cyclicSpanMembership() {
        let span = Span(start: 38, length: 6, axisLength: 41, isCyclic: true)
        #expect(span.contains(40) && span.contains(0) && span.contains(2))
        #expect(!span.contains(3) && !span.contains(37))
        #expect(span.offset(of: 0) == 3)
        #expect(span.overlaps(Span(start: 2, length: 3, axisLength: 41)))
        #expect(!span.overlaps(Span(start: 3, length: 30, axisLength: 41)))
    }

    @Test func regionsAreWindowsTimesTilesAndTilesAreMultiplesOfThePatch() throws {
        let clip = try ClipGeometry(job: JobSpec(frames: 161, fps: 16, width: 1664, height: 960), model: .wan21_1_3B)
        let plan = try Plan(geometry: clip, config: PlanConfig(tile: TileSpec(width: 104, height: 60, overlap: 8)))
        // 120 rows in tiles of 60 overlapping 8: stride 52 → 0, 52, 60.
        #expect(plan.tileRows.map(\.start) == [0, 52, 60])
        // 208 columns in tiles of 104: 0, 96, 104.
        #expect(plan.tileColumns.map(\.start) == [0, 96, 104])
        #expect(plan.tiles.count == 9)
        #expect(plan.regions.count == plan.windows.count * 9)
        for region in plan.regions {
            #expect(region.box.rows.start % 2 == 0 && region.box.columns.start % 2 == 0)
            #expect(region.index == region.window * plan.tiles.count + region.tile)
        }
    }

    // MARK: properties

    @Test func everyLatentPositionIsCoveredAndNoRegionLeavesTheClip() async {
        await propertyCheck(input: PlanCase.generator) { c in
            let plan = try c.plan()
            let f = plan.latent.frames, h = plan.latent.height, w = plan.latent.width
            var covered = [Bool](repeating: false, count: f * h * w)
            for region in plan.regions {
                for t in region.box.frames.indices {
                    for y in region.box.rows.indices {
                        for x in region.box.columns.indices { covered[(t * h + y) * w + x] = true }
                    }
                }
            }
            #expect(covered.allSatisfy { $0 }, "\(c)")
            #expect(plan.windows.allSatisfy { $0.length == min(c.window, f) }, "\(c)")
        }
    }

    @Test func linearWindowsStrideByWindowMinusOverlapAndTheLastEndsAtTheClipEnd() async {
        await propertyCheck(input: PlanCase.generator.filter { !$0.loop }) { c in
            let plan = try c.plan()
            let windows = plan.windows
            #expect(windows.first?.start == 0)
            #expect(windows.last?.end == plan.latent.frames)
            #expect(windows.allSatisfy { !$0.wraps })
            for k in windows.indices.dropFirst().dropLast() {
                #expect(windows[k].start == k * (c.window - c.overlap), "\(c)")
            }
            // The end-aligned last window only ever moves back: overlaps never drop below O,
            // and no window is redundant (each covers a frame the one before does not).
            for k in windows.indices.dropFirst() {
                #expect(windows[k - 1].end - windows[k].start >= c.overlap, "\(c)")
                #expect(windows[k].end > windows[k - 1].end, "\(c)")
            }
        }
    }

    @Test func oneWindowIsTheIdentityPlan() async {
        let single = PlanCase.generator.map { c -> PlanCase in
            var c = c
            c.window = c.latentFrames + c.window  // longer than the clip: clamped
            c.overlap = 0
            c.tile = nil
            return c
        }
        await propertyCheck(input: single, Gen.uint64(in: 0 ... .max)) { c, seed in
            let plan = try c.plan()
            #expect(plan.windows == [Span.whole(plan.latent.frames, isCyclic: c.loop)])
            #expect(plan.regions.count == 1 && plan.isSinglePass)
            #expect(plan.regions[0].box == plan.clipBox)
            #expect(plan.weights(region: 0).allSatisfy { $0 == 1 })
            // Blending the one output gives it back bit for bit, and its noise is the clip's.
            let noise = plan.noise(seed: seed, region: 0)
            #expect(noise == plan.noise(seed: seed).values(in: 0..<plan.latent.count))
            #expect(try plan.blend(outputs: [0: noise], into: plan.clipBox) == noise)
            #expect(plan.windowBoundaries.isEmpty)
            // The shard graph is a chain of blocks.
            for shard in plan.shards where shard.block > 0 {
                #expect(plan.dependencies(of: shard) == [ShardID(region: 0, block: shard.block - 1)])
            }
        }
    }

    @Test func loopModeWrapsTheLastWindowOntoTheFirst() async {
        let looping = PlanCase.generator.filter { $0.loop && $0.window < $0.latentFrames && $0.overlap > 0 }
        await propertyCheck(input: looping) { c in
            let plan = try c.plan()
            let windows = plan.windows
            let f = plan.latent.frames
            #expect(windows.count >= 2)
            #expect(windows[0].start == 0)
            #expect(windows.last!.wraps, "\(c)")
            #expect(windows.last!.contains(0), "\(c)")
            // Consecutive windows, including last → first, overlap by at least O, and the
            // overlaps differ by at most one frame.
            var overlaps: [Int] = []
            for k in windows.indices {
                let next = windows[(k + 1) % windows.count]
                let shared = windows[k].indices.filter(next.contains).count
                overlaps.append(shared)
            }
            #expect(overlaps.min()! >= c.overlap, "\(c) \(overlaps)")
            #expect(overlaps.max()! - overlaps.min()! <= 1, "\(c) \(overlaps)")
            if f % windows.count == 0 { #expect(Set(overlaps).count == 1, "\(c) \(overlaps)") }
            // Every window ramps at both ends, since every window has two neighbours.
            for k in windows.indices where c.floor < 1 {
                let w = plan.frameWeights.weights[k]
                #expect(w.first! < 1 && w.last! < 1, "\(c)")
            }
        }
    }

    // MARK: bad input

    @Test func badPlanSettingsSayWhichValueIsWrongAndWhatIsValid() throws {
        let clip = try ClipGeometry(job: JobSpec(frames: 161, fps: 16, width: 832, height: 480), model: .wan21_1_3B)
        let cases: [(PlanConfig, PlanError)] = [
            (PlanConfig(window: 21, overlap: 21), .overlapTooLarge(.overlap, overlap: 21, size: 21)),
            (PlanConfig(window: 8, overlap: 30), .overlapTooLarge(.overlap, overlap: 30, size: 8)),
            (PlanConfig(window: 0), .notPositive(.window, value: 0)),
            (PlanConfig(window: -4), .notPositive(.window, value: -4)),
            (PlanConfig(overlap: -1), .negative(.overlap, value: -1)),
            (PlanConfig(steps: 0), .notPositive(.steps, value: 0)),
            (PlanConfig(steps: 10, blendEvery: 11), .outOfRange(.blendEvery, value: 11, valid: 1...10)),
            (PlanConfig(blendEvery: 0), .notPositive(.blendEvery, value: 0)),
            (PlanConfig(firstBlock: 6), .outOfRange(.firstBlock, value: 6, valid: 1...5)),
            (PlanConfig(lastBlock: 0), .outOfRange(.lastBlock, value: 0, valid: 1...5)),
            (PlanConfig(tile: TileSpec(width: 31, height: 30)), .notMultiple(.tileWidth, value: 31, of: 2, nearest: [30, 32])),
            (PlanConfig(tile: TileSpec(width: 32, height: 1)), .notMultiple(.tileHeight, value: 1, of: 2, nearest: [2])),
            (PlanConfig(tile: TileSpec(width: 32, height: 32, overlap: 3)), .notMultiple(.tileOverlap, value: 3, of: 2, nearest: [2, 4])),
            (PlanConfig(tile: TileSpec(width: 32, height: 32, overlap: 1)), .notMultiple(.tileOverlap, value: 1, of: 2, nearest: [0, 2])),
            (PlanConfig(tile: TileSpec(width: 32, height: 16, overlap: 16)), .overlapTooLarge(.tileOverlap, overlap: 16, size: 16)),
            (PlanConfig(tile: TileSpec(width: 0, height: 16)), .notPositive(.tileWidth, value: 0)),
            (PlanConfig(tile: TileSpec(width: 16, height: 16, overlap: -2)), .negative(.tileOverlap, value: -2)),
            (PlanConfig(blendFloor: 0), .outOfRangeReal(.blendFloor, value: 0, expected: "a weight in (0, 1], e.g. 0.05")),
        ]
        for (config, expected) in cases {
            #expect(throws: expected) { try Plan(geometry: clip, config: config) }
        }
    }
}
