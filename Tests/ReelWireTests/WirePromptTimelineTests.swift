import Foundation
import ReelWire
import Testing

/// An encoded prompt with a timeline's later prompts on the wire (issue 16): the
/// assignment names the texts, the result carries one tensor per later prompt,
/// each required, in order.
@Suite("Wire prompt timeline")
struct WirePromptTimelineTests {
    static func result(later: Int) throws -> (Reel_V1_Envelope, [WireTensor]) {
        var result = Reel_V1_PromptResult()
        (result.jobID, result.attempt) = (3, 1)
        result.positive.name = "prompt_embeds"
        var tensors = [try WireSamples.tensor("prompt_embeds", shape: [1, 4, 3], seed: 1)]
        for index in 0..<later {
            var header = Reel_V1_TensorHeader()
            header.name = "later_prompt_embeds_\(index + 1)"
            result.later.append(header)
            tensors.append(try WireSamples.tensor(header.name, shape: [1, 4, 3], seed: Float(index + 2)))
        }
        result.laterPiecesCut = (0..<UInt32(later)).map { $0 * 2 }
        var envelope = Reel_V1_Envelope()
        envelope.body = .promptResult(result)
        return (envelope, tensors)
    }

    @Test("later prompts' embeddings round-trip in order")
    func roundTrip() throws {
        var assignment = Reel_V1_PromptAssignment()
        assignment.laterPrompts = ["a blue kite", "a green kite"]
        var envelope = Reel_V1_Envelope()
        envelope.body = .promptAssignment(assignment)
        #expect(try WireCodec.decode(try WireCodec.encode(envelope, tensors: [])).envelope.promptAssignment.laterPrompts == ["a blue kite", "a green kite"])

        let (sent, tensors) = try Self.result(later: 2)
        let message = try WireCodec.decode(try WireCodec.encode(sent, tensors: tensors))
        let later = message.envelope.promptResult.later
        #expect(later.count == 2)
        #expect(message.tensor(for: later[0]) == tensors[1] && message.tensor(for: later[1]) == tensors[2])
        #expect(message.envelope.promptResult.laterPiecesCut == [0, 2])
    }

    @Test("a later prompt's header without its tensor is refused")
    func missingRefused() throws {
        let (envelope, tensors) = try Self.result(later: 2)
        #expect(throws: WireError.self) { try WireCodec.encode(envelope, tensors: Array(tensors.dropLast())) }
    }
}
