import Foundation
import ReelWire
import Testing

/// A prompt-timeline shard assignment on the wire: each window's prompts with
/// their weights, tensors only for the ones the worker lacks, never a negative.
@Suite("Wire timeline")
struct WireTimelineTests {
    @Test("timeline prompts round-trip with their weights, sent or referenced")
    func roundTrip() throws {
        var (envelope, tensors) = try WireSamples.assignment()
        var sent = Reel_V1_TimelinePrompt()
        sent.weight = 0.25
        sent.embeds.embedsID = String(repeating: "cd", count: 32)
        sent.embeds.positive.name = "timeline_prompt_embeds_0"
        var referenced = Reel_V1_TimelinePrompt()
        referenced.weight = 0.75
        referenced.embeds.embedsID = String(repeating: "ef", count: 32)
        envelope.shardAssignment.timeline = [sent, referenced]
        tensors.append(try WireSamples.tensor("timeline_prompt_embeds_0", shape: [4, 3], seed: 5))
        let message = try WireCodec.decode(try WireCodec.encode(envelope, tensors: tensors))
        let timeline = message.envelope.shardAssignment.timeline
        #expect(timeline.map(\.weight) == [0.25, 0.75])
        #expect(timeline.map(\.embeds.embedsID) == [sent.embeds.embedsID, referenced.embeds.embedsID])
        #expect(message.tensor(for: timeline[0].embeds.positive) == tensors[3])
        #expect(!timeline[1].embeds.hasPositive)
    }

    @Test("a timeline prompt with negative embeddings is refused")
    func negativeRefused() throws {
        var (envelope, tensors) = try WireSamples.assignment()
        var prompt = Reel_V1_TimelinePrompt()
        prompt.weight = 1
        prompt.embeds.embedsID = String(repeating: "cd", count: 32)
        prompt.embeds.positive.name = "timeline_prompt_embeds_0"
        prompt.embeds.negative.name = "timeline_negative"
        envelope.shardAssignment.timeline = [prompt]
        tensors += [
            try WireSamples.tensor("timeline_prompt_embeds_0", shape: [4, 3], seed: 5),
            try WireSamples.tensor("timeline_negative", shape: [4, 3], seed: 6),
        ]
        #expect(throws: WireError.self) { try WireCodec.encode(envelope, tensors: tensors) }
    }
}
