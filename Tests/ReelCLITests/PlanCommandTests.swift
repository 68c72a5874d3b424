import Foundation
import Testing
@testable import ReelCLI

/// `reel plan --json` as a script would read it, through the real argument parsing.
@Suite struct PlanCommandTests {
    func report(_ arguments: [String]) throws -> [String: Any] {
        let command = try PlanCommand.parse(arguments + ["--json"])
        let resolved = try command.job.resolve()
        let text = try PlanCommand.Report(plan: resolved.plan, guidance: resolved.guidance).json()
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
}
