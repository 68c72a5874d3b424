import Foundation
import Testing
@testable import ReelCLI

/// `reel plan --json` as a script would read it, through the real argument parsing.
@Suite struct PlanCommandTests {
    func report(_ arguments: [String]) throws -> [String: Any] {
        let command = try PlanCommand.parse(arguments + ["--json"])
        let resolved = try command.job.resolve()
        let text = try PlanCommand.Report(plan: resolved.plan, guidance: resolved.guidance, automaticTiles: resolved.automaticTiles).json()
        return try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test func shardsListEveryWindowBlockPairWithOverlappingDependencies() throws {
        let json = try report(["--seconds", "10", "--steps", "20", "--blend-every", "5"])
        #expect(json["latent_shape"] as? [Int] == [16, 41, 60, 104])
        let windows = try #require(json["windows"] as? [[String: Any]])
        let blocks = try #require(json["blocks"] as? [[String: Any]])
        let shards = try #require(json["shards"] as? [[String: Any]])
        #expect(blocks.count == 4)
        #expect(json["shard_count"] as? Int == windows.count * blocks.count)
        #expect(shards.count == windows.count * blocks.count)
        let span = windows.map { ($0["start"] as! Int) ..< ($0["end"] as! Int) }
        for shard in shards {
            let window = shard["window"] as! Int, block = shard["block"] as! Int
            let deps = Set(shard["depends_on"] as! [Int])
            // Derived from the printed windows alone: block b waits for block b−1 of
            // every window sharing a latent frame with its own.
            let expected = block == 0 ? [] : Set(shards.filter {
                $0["block"] as! Int == block - 1 && span[$0["window"] as! Int].overlaps(span[window])
            }.map { $0["index"] as! Int })
            #expect(deps == expected, "shard \(shard)")
            let steps = shard["steps"] as! [String: Int]
            #expect(steps["start"] == blocks[block]["start"] as? Int && steps["end"] == blocks[block]["end"] as? Int)
        }
    }

    @Test func badJobFlagsAreRejectedWithTheValidValues() {
        #expect(throws: (any Error).self) { try report(["--frames", "80"]) }
        do {
            _ = try report(["--frames", "80"])
        } catch {
            let message = PlanCommand.message(for: error)
            #expect(message.contains("77") && message.contains("81"), "\(message)")
        }
    }

    @Test func aFrameAboveTheNativeSizeShowsItsAutomaticTiles() throws {
        // 2048×2048 is 256 × 256 latent: 3 × 5 landscape tiles of 104 × 60, overlap 8.
        let json = try report(["--size", "2048x2048", "--frames", "1"])
        #expect((json["tiles"] as? [Any])?.count == 15)
        let tile = try #require(json["tile_size"] as? [String: Any])
        #expect(tile["width"] as? Int == 104 && tile["height"] as? Int == 60 && tile["overlap"] as? Int == 8)
        #expect(tile["automatic"] as? Bool == true)
        // Portrait at the native size: whole frames, no tile size.
        let portrait = try report(["--size", "480x832"])
        #expect((portrait["tiles"] as? [Any])?.count == 1)
        #expect(portrait["tile_size"] == nil)
        // A tile the user sets is not automatic.
        let set = try report(["--size", "2048x2048", "--frames", "1", "--tile", "128"])
        #expect((set["tile_size"] as? [String: Any])?["automatic"] as? Bool == false)
    }

    @Test func aSizeThatIsNotAMultipleOf16NamesTheNearestSizes() {
        do {
            _ = try report(["--size", "832x481"])
            Issue.record("832x481 was accepted")
        } catch {
            #expect(PlanCommand.message(for: error).contains("832x481 is not a multiple of 16; nearest: 832x480, 832x496."))
        }
    }
}

/// `reel plan --prompt-at`: the timeline and each window's prompt weights.
@Suite struct PlanPromptTimelineTests {
    @Test func eachWindowListsThePromptsItMixes() throws {
        // 41 frames = 11 latent frames in windows [0, 5), [3, 8), [6, 11); "blue" from 1 s.
        let command = try PlanCommand.parse([
            "--frames", "41", "--window", "5", "--overlap", "2", "--prompt", "a red kite", "--prompt-at", "1:a blue kite: high up", "--json",
        ])
        let resolved = try command.job.resolve()
        var report = PlanCommand.Report(plan: resolved.plan, guidance: resolved.guidance)
        report.add(try command.timeline(resolved.plan), plan: resolved.plan)
        #expect(report.promptTimeline?.map(\.text) == ["a red kite", "a blue kite: high up"])
        #expect(report.windows.map { $0.prompts?.map(\.prompt) } == [[0], [0, 1], [1]])
        #expect(report.table().contains("#0 0.339 + #1 0.661"))
    }

    @Test func aTimelineWithoutAStartIsRefused() {
        // Validation (run by parsing) builds the timeline: the clip needs a prompt from 0 s.
        #expect(throws: (any Error).self) { try PlanCommand.parse(["--frames", "41", "--prompt-at", "1:a blue kite"]) }
        #expect(throws: Never.self) { try PlanCommand.parse(["--frames", "41", "--prompt-at", "0:a red kite", "--prompt-at", "1:a blue kite"]) }
    }

    /// The table of a loop names the pixel frames each window decodes to on the
    /// circle (latent f is pixel frames 4f … 4f + 3) and the loop's 4·F_lat frames.
    @Test func aLoopsTableShowsItsWindowsOnTheCircle() throws {
        let command = try PlanCommand.parse(["--frames", "33", "--loop", "--window", "4", "--overlap", "1", "--size", "64x64"])
        let resolved = try command.job.resolve()
        let table = PlanCommand.Report(plan: resolved.plan, guidance: resolved.guidance, automaticTiles: resolved.automaticTiles).table()
        #expect(table.contains("loop (decoded as a circle: 36 frames)"))
        // Windows [0, 4), [3, 7) and [6, 10), the last wrapping onto frame 0.
        #expect(table.contains("0–15") && table.contains("12–27") && table.contains("24–35 + 0–3"))
    }
}
