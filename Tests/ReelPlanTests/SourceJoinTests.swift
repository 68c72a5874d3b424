import Foundation
import ReelPlan
import Testing

/// `join` on a conditioning item (`--extend`): which source frames the output holds
/// besides the clip, where they go, the refusals, and a stored form that is the same
/// as before for every item without it.
@Suite struct SourceJoinTests {
    typealias T = ConditioningPlanTests

    /// 161 frames = 41 latent frames; 41 source frames (11 latent) pinned at the start or the end (pixel 120 = latent 30).
    static func extend(at frame: Int, first: Int, join: Bool? = true) -> ConditioningItem {
        ConditioningItem(
            source: ConditioningSource(kind: .video, digest: T.digestB, firstFrame: first, frameCount: 41), frame: frame, join: join)
    }

    @Test func forwardAndBackwardJoinsSayWhichSourceFramesGoWhere() throws {
        let plan = try T.plan()
        // Forward: a 100-frame source's last 41 frames (59..<100) open the clip; frames 0..<59 go before it.
        let forward = JobRequest(model: "wan2.1-1.3b", frames: 161, conditioning: [Self.extend(at: 0, first: 59)])
        _ = try ConditioningPlan(plan: plan, items: forward.conditioning!)
        let before = try #require(forward.sourceJoin(temporalStride: 4))
        #expect(before == SourceJoin(digest: T.digestB, side: .before, pinnedFirst: 59, pinnedCount: 41, fit: .crop))
        #expect(before.frames == 0 ..< 59)
        // Backward: its first 41 frames close the clip (pixel frames 120...160); frames from 41 on go after it.
        let backward = JobRequest(model: "wan2.1-1.3b", frames: 161, conditioning: [Self.extend(at: 120, first: 0)])
        _ = try ConditioningPlan(plan: plan, items: backward.conditioning!)
        let after = try #require(backward.sourceJoin(temporalStride: 4))
        #expect(after.side == .after && after.frames.lowerBound == 41 && after.frames.upperBound == Int.max)
        // Without join (or join false), the output is the clip alone.
        #expect(JobRequest(model: "wan2.1-1.3b", frames: 161, conditioning: [Self.extend(at: 0, first: 59, join: false)]).sourceJoin(temporalStride: 4) == nil)
    }

    @Test func pinnedFramesCrossfadeFromTheSourceToTheDecode() throws {
        // Three pinned frames: the source's weight is 1 − smoothstep(u), u = 1/4, 2/4, 3/4
        // counted from the source's side: 1 − 5/32, 1/2, 5/32.
        let before = SourceJoin(digest: T.digestB, side: .before, pinnedFirst: 20, pinnedCount: 3, fit: .crop)
        #expect(before.pinnedClipFrames(clipFrames: 9) == 0 ..< 3)
        let forward = (0..<4).map { before.crossfade(clipFrame: $0, clipFrames: 9) }
        #expect(forward[0]?.sourceFrame == 20 && forward[0]?.weight == 27.0 / 32)
        #expect(forward[1]?.sourceFrame == 21 && forward[1]?.weight == 0.5)
        #expect(forward[2]?.sourceFrame == 22 && forward[2]?.weight == 5.0 / 32)
        #expect(forward[3] == nil, "the first new frame is the model's alone")
        // Backward: the clip's last three frames hold source frames 0, 1, 2; the source is after them.
        let after = SourceJoin(digest: T.digestB, side: .after, pinnedFirst: 0, pinnedCount: 3, fit: .crop)
        #expect(after.pinnedClipFrames(clipFrames: 9) == 6 ..< 9)
        #expect(after.crossfade(clipFrame: 5, clipFrames: 9) == nil)
        #expect(after.crossfade(clipFrame: 6, clipFrames: 9)?.weight == 5.0 / 32)
        #expect(after.crossfade(clipFrame: 8, clipFrames: 9)?.sourceFrame == 2)
        #expect(after.crossfade(clipFrame: 8, clipFrames: 9)?.weight == 27.0 / 32)
        // A pinned run longer than the clip is cut to the clip.
        #expect(SourceJoin(digest: T.digestB, side: .before, pinnedFirst: 0, pinnedCount: 20, fit: .crop).pinnedClipFrames(clipFrames: 9) == 0 ..< 9)
    }

    @Test func theStoredFormIsUnchangedWithoutJoin() throws {
        let plain = Self.extend(at: 0, first: 59, join: nil)
        let json = String(decoding: try JSONEncoder().encode(plain), as: UTF8.self)
        #expect(!json.contains("join"), "\(json)")
        // false is canonically absent; true is kept and tells the items apart.
        #expect(Self.extend(at: 0, first: 59, join: false).canonical(temporalStride: 4) == plain.canonical(temporalStride: 4))
        #expect(Self.extend(at: 0, first: 59).canonical(temporalStride: 4)?.join == true)
        let both = JobRequest(model: "m", conditioning: [Self.extend(at: 0, first: 59), plain]).canonicalConditioning(temporalStride: 4)
        #expect(both.count == 2 && both.map(\.join) == [nil, true])
    }

    @Test func joinsTheOutputCannotHoldAreRefused() throws {
        let plan = try T.plan()
        var image = T.image()
        image.join = true
        var boxed = Self.extend(at: 0, first: 59)
        boxed.box = PixelBox(x: 0, y: 0, width: 416, height: 240)
        let cases: [([ConditioningItem], Plan, String)] = [
            ([image], plan, "needs a pinned video filling the frame"),
            ([boxed], plan, "needs a pinned video filling the frame"),
            ([Self.extend(at: 40, first: 0)], plan, "at the clip's start (frame 0) or end; they cover latent frames 10..<21 of 0..<41"),
            ([Self.extend(at: 0, first: 59), Self.extend(at: 120, first: 0)], plan, "is the second: item 1 already joins"),
            ([Self.extend(at: 0, first: 59)], try T.plan(loop: true), "cannot apply to a looping clip"),
        ]
        for (items, plan, expected) in cases {
            do {
                _ = try ConditioningPlan(plan: plan, items: items)
                Issue.record("accepted, expected \(expected)")
            } catch {
                print(error.description)
                #expect(error.description.contains(expected), "\(error.description)")
            }
        }
    }
}
