import Foundation
import PropertyBased
import Testing
import ReelPlan

/// Conditioning in the plan: placement through the VAE's causal stride, which shards
/// see which item, the edit's first step, validation, and the canonical form. Expected
/// windows are worked out by hand from the layout rule (see each test's comment).
@Suite struct ConditioningPlanTests {
    static let digestA = String(repeating: "a", count: 64)
    static let digestB = String(repeating: "b", count: 64)

    /// 161 frames (41 latent) at 832×480, windows of 21 overlapping 5: starts every 16,
    /// the last moved back to end at 41, so windows [0, 21), [16, 37), [20, 41); 50 steps in 10 blocks of 5.
    static func plan(frames: Int = 161, loop: Bool = false, tile: TileSpec? = nil) throws -> Plan {
        let geometry = try ClipGeometry(job: JobSpec(frames: frames, fps: 16, width: 832, height: 480), model: .wan21_1_3B)
        return try Plan(geometry: geometry, config: PlanConfig(window: 21, overlap: 5, loop: loop, tile: tile))
    }

    static func image(_ digest: String = digestA, frame: Int? = 0, box: PixelBox? = nil) -> ConditioningItem {
        ConditioningItem(source: ConditioningSource(kind: .image, digest: digest), frame: frame, box: box)
    }

    static func video(_ digest: String = digestB, frames: Int, at frame: Int = 0, mode: ConditioningMode = .pin, strength: Double? = nil) -> ConditioningItem {
        ConditioningItem(
            source: ConditioningSource(kind: .video, digest: digest, frameCount: frames), frame: frame, mode: mode,
            strength: strength)
    }

    @Test func anImageAtFrameZeroIsPinnedInTheFirstWindowThroughEveryBlock() throws {
        let plan = try Self.plan()
        #expect(plan.windows.map(\.start) == [0, 16, 20])
        let cond = try ConditioningPlan(plan: plan, items: [Self.image()])
        #expect(cond.regionItems == [[0], [], []])
        #expect(cond.items[0].box.frames == Span(start: 0, length: 1, axisLength: 41))
        #expect(cond.firstStep == 0 && cond.firstBlock == 0)
        #expect(cond.shards(seeing: 0) == (0..<10).map { ShardID(region: 0, block: $0) })
        #expect(cond.items(for: ShardID(region: 1, block: 3)).isEmpty)
        #expect(cond.steps(of: ShardID(region: 0, block: 2)) == 10..<15)
    }

    @Test func pixelFramesMapThroughTheCausalStride() throws {
        let plan = try Self.plan()
        // Pixel 64 = 4·16 is latent frame 16: inside windows [0, 21) and [16, 37), not [20, 41).
        let at64 = try ConditioningPlan(plan: plan, items: [Self.image(frame: 64)])
        #expect(at64.items[0].box.frames.start == 16 && at64.items[0].item.latentFrame == 16)
        #expect(at64.regionItems == [[0], [0], []])
        // The clip's last pixel frame, 160, is latent 40.
        #expect(try ConditioningPlan(plan: plan, items: [Self.image(frame: 160)]).regionItems == [[], [], [0]])
        #expect(throws: ConditioningError.frameNotOnLatentBoundary(item: 1, frame: 63, stride: 4, nearest: [60, 64])) {
            try ConditioningPlan(plan: plan, items: [Self.image(frame: 63)])
        }
        // Values from a submitted job near Int.max get a message, not an overflow trap.
        var far = Self.image(frame: nil)
        far.latentFrame = Int.max
        #expect(throws: ConditioningError.outsideClip(item: 1, latentStart: Int.max, latentLength: 1, clipLatentFrames: 41, stride: 4)) {
            try ConditioningPlan(plan: plan, items: [far])
        }
        #expect(ConditioningError.outsideClip(item: 1, latentStart: Int.max, latentLength: 1, clipLatentFrames: 41, stride: 4)
            .description.contains("..<∞"))
        #expect(throws: ConditioningError.frameNotOnLatentBoundary(item: 1, frame: Int.max, stride: 4, nearest: [Int.max - 3])) {
            try ConditioningPlan(plan: plan, items: [Self.image(frame: Int.max)])
        }
        #expect(throws: ConditioningError.placement(item: 1)) {
            try ConditioningPlan(plan: plan, items: [ConditioningItem(source: Self.image().source, frame: 0, latentFrame: 0)])
        }
    }

    @Test func aKeyframeOutsideTheClipIsRefused() throws {
        let plan = try Self.plan()
        let error = ConditioningError.outsideClip(item: 2, latentStart: 41, latentLength: 1, clipLatentFrames: 41, stride: 4)
        #expect(throws: error) { try ConditioningPlan(plan: plan, items: [Self.image(), Self.image(Self.digestB, frame: 164)]) }
        #expect(error.description.contains("0...160"))
        // A 97-frame video (25 latent frames) does not fit after latent 20.
        #expect(throws: ConditioningError.outsideClip(item: 1, latentStart: 20, latentLength: 25, clipLatentFrames: 41, stride: 4)) {
            try ConditioningPlan(plan: plan, items: [Self.video(frames: 97, at: 80)])
        }
    }

    @Test func anExtendedSourceCoversItsLatentFramesInEveryWindowItTouches() throws {
        // 81 source frames = 21 latent frames [0, 21): all three windows touch it ([20, 41) at frame 20).
        let cond = try ConditioningPlan(plan: try Self.plan(), items: [Self.video(frames: 81)])
        #expect(cond.items[0].latentFrames == 21)
        #expect(cond.regionItems == [[0], [0], [0]])
        #expect(cond.shards(seeing: 0).count == 30)
        #expect(throws: ConditioningError.badFrameRange(item: 1, firstFrame: nil, frameCount: 80, stride: 4, nearest: [77, 81])) {
            try ConditioningPlan(plan: try Self.plan(), items: [Self.video(frames: 80)])
        }
        #expect(throws: ConditioningError.self) { try ConditioningPlan(plan: try Self.plan(), items: [Self.video(frames: Int.max)]) }
    }

    @Test func anEditStartsAtTheStrengthsStepAndSkipsEarlierBlocks() throws {
        let plan = try Self.plan()
        // 50 − int(50 · 0.3) = 35: block 7 ([35, 40)) starts from the noised source.
        let cond = try ConditioningPlan(plan: plan, items: [Self.video(frames: 161, mode: .start, strength: 0.3)])
        #expect(cond.firstStep == 35 && cond.firstBlock == 7)
        #expect(cond.isSkipped(ShardID(region: 1, block: 6)) && !cond.isSkipped(ShardID(region: 1, block: 7)))
        #expect(cond.items(for: ShardID(region: 2, block: 7)) == [0])
        #expect(cond.items(for: ShardID(region: 2, block: 8)).isEmpty)
        #expect(cond.shards(seeing: 0) == (0..<3).map { ShardID(region: $0, block: 7) })
        // A strength that is not a whole number of steps starts mid-block: 50 − int(16.5) = 34.
        let mid = try ConditioningPlan(plan: plan, items: [Self.video(frames: 161, mode: .start, strength: 0.33)])
        #expect(mid.firstStep == 34 && mid.firstBlock == 6 && mid.steps(of: ShardID(region: 0, block: 6)) == 34..<35)
    }

    @Test func strengthToFirstStep() {
        #expect(StepSchedule.firstStep(strength: 1, steps: 50) == 0)
        #expect(StepSchedule.firstStep(strength: 0.5, steps: 50) == 25)
        #expect(StepSchedule.firstStep(strength: 0.9, steps: 30) == 3)
        // Below one step's worth, one step still runs.
        #expect(StepSchedule.firstStep(strength: 0.01, steps: 50) == 49)
    }

    @Test func strengthsOutsideZeroToOneAreRefused() throws {
        let plan = try Self.plan()
        for bad in [0, -0.5, 1.01, Double.nan] {
            #expect(throws: ConditioningError.self) {
                try ConditioningPlan(plan: plan, items: [Self.video(frames: 161, mode: .start, strength: bad)])
            }
        }
        #expect(throws: ConditioningError.strengthOutOfRange(item: 1, value: nil)) {
            try ConditioningPlan(plan: plan, items: [Self.video(frames: 161, mode: .start)])
        }
        #expect(throws: ConditioningError.strengthOnPin(item: 1, value: 0.5)) {
            try ConditioningPlan(plan: plan, items: [Self.video(frames: 161, strength: 0.5)])
        }
        #expect(throws: ConditioningError.editNotWholeClip(item: 1, latentStart: 0, latentLength: 21, clipLatentFrames: 41)) {
            try ConditioningPlan(plan: plan, items: [Self.video(frames: 81, mode: .start, strength: 0.5)])
        }
    }

    @Test func anImageWithAnEditAndOverlappingPinsAreRefused() throws {
        let plan = try Self.plan()
        let edit = Self.video(frames: 161, mode: .start, strength: 0.6)
        #expect(throws: ConditioningError.pinOverlapsEdit(pin: 1, edit: 2)) {
            try ConditioningPlan(plan: plan, items: [Self.image(), edit])
        }
        #expect(throws: ConditioningError.overlappingPins(first: 1, second: 2, firstDigest: Self.digestA, secondDigest: Self.digestB)) {
            try ConditioningPlan(plan: plan, items: [Self.image(), Self.image(Self.digestB)])
        }
        // Side by side in the same frame is fine: two boxes, two items.
        let left = Self.image(box: PixelBox(x: 0, y: 0, width: 416, height: 480))
        let right = Self.image(Self.digestB, box: PixelBox(x: 416, y: 0, width: 416, height: 480))
        let both = try ConditioningPlan(plan: plan, items: [right, left])
        #expect(both.items.map(\.box.columns) == [Span(start: 0, length: 52, axisLength: 104), Span(start: 52, length: 52, axisLength: 104)])
        // The same item twice is one item.
        #expect(try ConditioningPlan(plan: plan, items: [Self.image(), Self.image()]).items.count == 1)
    }

    @Test func boxesAndTilesAndLimits() throws {
        // Tiles of 32×32 latent with overlap 8 (stride 24) on 60×104: rows [0, 32), [24, 56), and the last moved
        // back to end at 60, [28, 60); columns [0, 32), [24, 56), [48, 80), [72, 104).
        let plan = try Self.plan(tile: TileSpec(width: 32, height: 32, overlap: 8))
        #expect(plan.tileRows.map(\.start) == [0, 24, 28] && plan.tileColumns.map(\.start) == [0, 24, 48, 72])
        // Pixel box x 0..<128, y 0..<64 is latent columns 0..<16, rows 0..<8: tile 0 (row 0, column 0) only.
        let corner = try ConditioningPlan(plan: plan, items: [Self.image(box: PixelBox(x: 0, y: 0, width: 128, height: 64))])
        #expect(corner.regionItems.enumerated().filter { !$0.element.isEmpty }.map(\.offset) == [0])
        #expect(corner.items[0].conformedSize(frameWidth: 832, frameHeight: 480) == (128, 64))
        let bad = PixelBox(x: 4, y: 0, width: 128, height: 64)
        #expect(throws: ConditioningError.badBox(item: 1, box: bad, spatialStride: 8, width: 832, height: 480)) {
            try ConditioningPlan(plan: plan, items: [Self.image(box: bad)])
        }
        let outside = PixelBox(x: 768, y: 0, width: 128, height: 64)
        #expect(throws: ConditioningError.badBox(item: 1, box: outside, spatialStride: 8, width: 832, height: 480)) {
            try ConditioningPlan(plan: plan, items: [Self.image(box: outside)])
        }
        let many = (0...16).map { Self.image(frame: 4 * $0) }
        #expect(throws: ConditioningError.tooMany(count: 17, limit: 16)) { try ConditioningPlan(plan: plan, items: many) }
        #expect(throws: ConditioningError.badDigest(item: 1, digest: "ABC")) {
            try ConditioningPlan(plan: plan, items: [Self.image("ABC")])
        }
    }

    @Test func inLoopModeTheWrappingWindowSeesTheFirstFrame() throws {
        // Loop: ⌈41/16⌉ = 3 windows starting at ⌊k·41/3⌋ = 0, 13, 27; the last wraps onto [0, 7).
        let plan = try Self.plan(loop: true)
        #expect(plan.windows.map(\.start) == [0, 13, 27])
        #expect(try ConditioningPlan(plan: plan, items: [Self.image()]).regionItems == [[0], [], [0]])
    }

    @Test func equivalentRequestsHaveOneCanonicalForm() throws {
        let a = JobRequest(model: "m", conditioning: [Self.image(frame: 64), Self.video(frames: 81)])
        var latent = Self.image()
        latent.frame = nil
        latent.latentFrame = 16
        let b = JobRequest(model: "m", conditioning: [Self.video(frames: 81), latent, latent])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let ca = try encoder.encode(a.canonicalizingConditioning(temporalStride: 4))
        let cb = try encoder.encode(b.canonicalizingConditioning(temporalStride: 4))
        #expect(ca == cb)
        #expect(a.canonicalConditioning(temporalStride: 4).map(\.latentFrame) == [0, 16])
        #expect(a.canonicalConditioning(temporalStride: 4)[0].source.firstFrame == 0)
        // Different conditioning, different stored form; none at all leaves the key out,
        // so jobs stored before conditioning existed decode unchanged.
        let c = JobRequest(model: "m", conditioning: [Self.image(frame: 68)]).canonicalizingConditioning(temporalStride: 4)
        #expect(try encoder.encode(c) != ca)
        let plain = try encoder.encode(JobRequest(model: "m", conditioning: []).canonicalizingConditioning(temporalStride: 4))
        #expect(!String(decoding: plain, as: UTF8.self).contains("conditioning"))
        #expect(try JSONDecoder().decode(JobRequest.self, from: plain).conditioning == nil)
    }

    @Test func anItemIsSeenByExactlyTheRegionsThatShareAPosition() async {
        await propertyCheck(input: PlanCase.generator, Gen.int(in: 0...39), Gen.int(in: 0...3)) { planCase, frame, videoK in
            let plan = try planCase.plan()
            let start = frame % plan.latent.frames
            let length = min(videoK + 1, plan.latent.frames - start)
            let item = ConditioningItem(
                source: ConditioningSource(kind: .video, digest: Self.digestA, frameCount: 4 * (length - 1) + 1),
                latentFrame: start)
            let cond = try ConditioningPlan(plan: plan, items: [item])
            let box = cond.items[0].box
            let itemPositions = TestSupport.positions(of: box, shape: plan.latent)
            for region in plan.regions {
                let shares = !TestSupport.positions(of: region.box, shape: plan.latent).isDisjoint(with: itemPositions)
                #expect(cond.regionItems[region.index] == (shares ? [0] : []), "\(planCase) item at \(start)+\(length)")
            }
        }
    }
}

/// The worker's write of a pinned item into a window, checked position by position
/// against the clip-wide noise sliced by hand (``TestSupport``).
@Suite struct ConditioningWriteTests {
    @Test func aPinIsWrittenWhereItMeetsTheBoxAndNowhereElse() throws {
        let model = PlanCase.model
        let geometry = try ClipGeometry(job: JobSpec(frames: 21, fps: 16, width: 64, height: 32), model: model)
        // 6 latent frames, 4×8 latent; windows of 4 overlapping 2: [0, 4), [2, 6).
        let plan = try Plan(geometry: geometry, config: PlanConfig(window: 4, overlap: 2, steps: 2, blendEvery: 1))
        let shape = plan.latent
        let item = ConditioningItem(
            source: ConditioningSource(kind: .video, digest: String(repeating: "c", count: 64), frameCount: 9),
            latentFrame: 3, box: PixelBox(x: 16, y: 8, width: 24, height: 16))
        let cond = try ConditioningPlan(plan: plan, items: [item])
        #expect(cond.regionItems == [[0], [0]])
        let itemBox = cond.items[0].box  // frames [3, 6), rows [1, 3), columns [2, 5)
        let known = (0..<itemBox.count).map { Float($0) / 7 - 3 }
        let noise = plan.noise(seed: 42)
        let clipNoise = noise.values(in: plan.clipBox)
        let region = plan.regions[0]
        for sigma: Float in [0.75, 0] {
            let before = TestSupport.randomClip(shape, seed: 9)
            var window = TestSupport.slice(before, shape: shape, box: region.box)
            cond.write(0, known: known, noise: noise, sigma: sigma, into: &window, box: region.box)
            // Expected: the clip with the item's box replaced by σ·ε + (1 − σ)·x0, then sliced.
            var expectedClip = before
            var k = 0
            for c in 0..<shape.channels {
                for f in itemBox.frames.indices {
                    for y in itemBox.rows.indices {
                        for x in itemBox.columns.indices {
                            let i = ((c * shape.frames + f) * shape.height + y) * shape.width + x
                            expectedClip[i] = sigma * clipNoise[i] + (1 - sigma) * known[k]
                            k += 1
                        }
                    }
                }
            }
            let expected = TestSupport.slice(expectedClip, shape: shape, box: region.box)
            let maxdiff = zip(window, expected).map { abs($0 - $1) }.max() ?? .infinity
            print("pin write at σ \(sigma): maxdiff \(maxdiff)")
            #expect(maxdiff == 0)
            #expect(window != TestSupport.slice(before, shape: shape, box: region.box))
        }
    }
}

/// What the coordinator's final blend does to pinned positions: every window that
/// covers a pin ends with the known latents there (σ = 0), and the blend
/// `Σ wᵢ·xᵢ / Σ wᵢ` (in Double, rounded to Float) of equal values gives them back
/// exactly, so the finished clip holds the source's latents bit for bit without
/// re-writing the pins after the blend.
@Suite struct PinnedBlendTests {
    @Test func theFinalBlendKeepsPinnedLatentsExactly() throws {
        // 81 frames (21 latent) at 64×64, windows of 9 overlapping 4: [0, 9), [5, 14), [10, 19), [12, 21).
        let geometry = try ClipGeometry(job: JobSpec(frames: 81, fps: 16, width: 64, height: 64), model: .wan21_1_3B)
        let plan = try Plan(geometry: geometry, config: PlanConfig(window: 9, overlap: 4))
        // 29 source frames cover latent frames 0..<8: windows 0 and 1 both hold frames 5..<8.
        let item = ConditioningItem(
            source: ConditioningSource(kind: .video, digest: String(repeating: "a", count: 64), frameCount: 29), frame: 0)
        let conditioning = try ConditioningPlan(plan: plan, items: [item])
        let itemBox = conditioning.items[0].box
        #expect(itemBox.frames == Span(start: 0, length: 8, axisLength: 21))
        #expect(conditioning.regionItems.map { !$0.isEmpty } == [true, true, false, false])
        // Latent frame 6 really is a mix: window 0 gives it a weight strictly between 0 and 1 (8×8 latent positions a frame).
        let share = plan.normalizedWeights(region: 0)[6 * 64]
        #expect(share > 0 && share < 1)
        let noise = LatentNoise(seed: 3, shape: plan.latent)
        let known = LatentNoise(seed: 4, shape: plan.latent).values(in: itemBox).map { 0.37 * $0 }
        var outputs: [Int: [Float]] = [:]
        for region in plan.regions {
            // Each window's own (unrelated) values, then the pin written at σ = 0.
            var values = LatentNoise(seed: UInt64(10 + region.index), shape: plan.latent).values(in: region.box)
            conditioning.write(0, known: known, noise: noise, sigma: 0, into: &values, box: region.box)
            outputs[region.index] = values
        }
        let clip = try plan.blend(outputs: outputs, into: plan.clipBox)
        var pinned = [Float](repeating: .nan, count: plan.clipBox.count)
        conditioning.write(0, known: known, noise: noise, sigma: 0, into: &pinned, box: plan.clipBox)
        var mismatches = 0, checked = 0
        for i in pinned.indices where !pinned[i].isNaN {
            checked += 1
            if clip[i] != pinned[i] { mismatches += 1 }
        }
        print("final blend at \(checked) pinned values (frames 5..<8 blended from two windows): \(mismatches) differ")
        #expect(checked == itemBox.count && mismatches == 0)
    }
}
