import Foundation
import ReelWire
import Testing

/// Messages and helpers shared by the wire tests, built by hand from the protocol's
/// description rather than from the codec under test.
enum WireSamples {
    /// A small tensor whose values differ per `seed`.
    static func tensor(_ name: String, shape: [Int], seed: Float) throws -> WireTensor {
        let count = shape.reduce(1, *)
        return try WireTensor(name: name, shape: shape, values: (0..<count).map { Float($0) * 0.25 - seed })
    }

    /// A shard assignment carrying latents and both prompt embeddings: three tensors.
    static func assignment() throws -> (envelope: Reel_V1_Envelope, tensors: [WireTensor]) {
        var assignment = Reel_V1_ShardAssignment()
        assignment.jobID = 42
        assignment.region = 3
        assignment.block = 1
        assignment.attempt = 2
        assignment.model = "tiny"
        assignment.sampler.totalSteps = 8
        assignment.sampler.stepBegin = 4
        assignment.sampler.stepEnd = 8
        assignment.sampler.guidance = 5
        assignment.seed = 7
        assignment.latents.name = "latents"
        assignment.embeds.embedsID = String(repeating: "ab", count: 32)
        assignment.embeds.positive.name = "prompt_embeds"
        assignment.embeds.negative.name = "negative_prompt_embeds"
        var envelope = Reel_V1_Envelope()
        envelope.sequence = 9
        envelope.shardAssignment = assignment
        let tensors = [
            try tensor("latents", shape: [2, 3, 2, 2], seed: 1),
            try tensor("prompt_embeds", shape: [1, 4, 3], seed: 2),
            try tensor("negative_prompt_embeds", shape: [1, 4, 3], seed: 3),
        ]
        return (envelope, tensors)
    }

    /// A shard result with one latents tensor.
    static func result() throws -> (envelope: Reel_V1_Envelope, tensors: [WireTensor]) {
        var result = Reel_V1_ShardResult()
        result.jobID = 42
        result.region = 3
        result.block = 1
        result.attempt = 2
        result.latents.name = "latents"
        result.timings.computeMs = 12
        var envelope = Reel_V1_Envelope()
        envelope.shardResult = result
        return (envelope, [try tensor("latents", shape: [2, 3, 2, 2], seed: 4)])
    }

    /// An envelope with only a body and no tensors.
    static func hello(name: String) -> Reel_V1_Envelope {
        var hello = Reel_V1_Hello()
        hello.workerName = name
        hello.slots = 1
        hello.kinds = [.denoise]
        hello.protocolVersion = WireProtocol.version
        var envelope = Reel_V1_Envelope()
        envelope.hello = hello
        return envelope
    }
}

/// Expects `body` to throw a `WireError` accepted by `matches`.
func expectWireError<T>(
    _ what: String, sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () throws(WireError) -> T, matches: (WireError) -> Bool
) {
    do {
        _ = try body()
        Issue.record("\(what): expected a WireError, got success", sourceLocation: sourceLocation)
    } catch {
        if !matches(error) {
            Issue.record("\(what): unexpected error \(error)", sourceLocation: sourceLocation)
        }
        #expect(!error.description.isEmpty, sourceLocation: sourceLocation)
    }
}
