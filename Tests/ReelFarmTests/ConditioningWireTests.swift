import Foundation
import ReelPlan
import ReelWire
@testable import ReelWorker
import Testing

/// Conditioning on the wire: a shard assignment's known latents survive encoding and
/// decoding and become the worker's ``DenoiseConditioning`` (the item's box on the
/// clip's latent, pin or edit, the values); an item on another latent, or latents that
/// do not fill the box, are refused as invalid input naming the item.
@Suite struct ConditioningWireTests {
    static func assignment(itemLatentFrames: UInt32 = 9, knownShape: [Int] = [4, 1, 8, 8], edit: Bool = false) throws -> WireMessage {
        var a = Reel_V1_ShardAssignment()
        a.jobID = 1
        a.seed = 5
        a.initialNoise = true
        a.box = InitialNoiseTests.box()
        var item = Reel_V1_ConditioningLatents()
        item.box = InitialNoiseTests.box(frames: (3, 1), rows: (0, 8), columns: (0, 8), latent: (itemLatentFrames, 8, 8))
        item.edit = edit
        var header = Reel_V1_TensorHeader()
        header.name = "known_0"
        item.known = header
        a.conditioning = [item]
        var envelope = Reel_V1_Envelope()
        envelope.body = .shardAssignment(a)
        let values = (0..<knownShape.reduce(1, *)).map { Float($0) / 100 }
        let frames = try WireCodec.encode(envelope, tensors: [try WireTensor(name: "known_0", shape: knownShape, values: values)])
        return try WireCodec.decode(frames)
    }

    static func shardAssignment(_ message: WireMessage) throws -> Reel_V1_ShardAssignment {
        guard case .shardAssignment(let a)? = message.envelope.body else { throw WorkerError(.internalError, "not a shard assignment") }
        return a
    }

    @Test func aPinTravelsAndBecomesTheWorkersConditioning() throws {
        let message = try Self.assignment()
        let conditioning = try DenoiseConditioning(assignment: try Self.shardAssignment(message), message: message)
        #expect(conditioning.items.count == 1)
        let item = try #require(conditioning.items.first)
        #expect(item.mode == .pin)
        #expect(item.box == LatentBox(frames: Span(start: 3, length: 1, axisLength: 9), rows: .whole(8), columns: .whole(8), channels: 4))
        #expect(item.known == (0..<256).map { Float($0) / 100 })
        #expect(conditioning.box.frames == Span(start: 3, length: 4, axisLength: 9))
        #expect(conditioning.noise == LatentNoise(seed: 5, shape: LatentShape(channels: 4, frames: 9, height: 8, width: 8)))
        let edit = try Self.assignment(edit: true)
        #expect(try DenoiseConditioning(assignment: try Self.shardAssignment(edit), message: edit).items.first?.mode == .start)
    }

    @Test func anItemOnAnotherLatentOrShortLatentsAreRefused() throws {
        for message in [try Self.assignment(itemLatentFrames: 10), try Self.assignment(knownShape: [4, 1, 8, 7])] {
            let a = try Self.shardAssignment(message)
            #expect {
                _ = try DenoiseConditioning(assignment: a, message: message)
            } throws: { error in
                guard let error = error as? WorkerError else { return false }
                return error.kind == .invalidInput && error.message.hasPrefix("conditioning[0]")
            }
        }
    }

    @Test func anAssignmentWithoutItsKnownLatentsIsRejectedByTheCodec() throws {
        var a = Reel_V1_ShardAssignment()
        a.initialNoise = true
        a.conditioning = [Reel_V1_ConditioningLatents()]
        var envelope = Reel_V1_Envelope()
        envelope.body = .shardAssignment(a)
        #expect(throws: WireError.missingTensor(field: "shard_assignment.conditioning[0].known")) {
            try WireCodec.encode(envelope, tensors: [])
        }
    }
}
