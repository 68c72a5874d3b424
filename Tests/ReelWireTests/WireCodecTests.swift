import Foundation
import ReelHash
import ReelTensor
import ReelWire
import SwiftProtobuf
import Testing

@Suite("WireCodec")
struct WireCodecTests {
    @Test("encode lays out the envelope then one frame per tensor and fills every header")
    func encodeLayout() throws {
        let (envelope, tensors) = try WireSamples.assignment()
        let frames = try WireCodec.encode(envelope, tensors: tensors)
        #expect(frames.count == 4)

        let sent = try Reel_V1_Envelope(serializedBytes: frames[0])
        #expect(sent.protocolVersion == WireProtocol.version)
        #expect(sent.sequence == 9)
        let headers = [sent.shardAssignment.latents, sent.shardAssignment.embeds.positive,
                       sent.shardAssignment.embeds.negative]
        for (offset, header) in headers.enumerated() {
            let tensor = tensors[offset]
            #expect(header.name == tensor.name)
            #expect(header.dtype == .f32)
            #expect(header.shape == tensor.shape.map { UInt64($0) })
            #expect(header.frameIndex == UInt32(offset + 1))
            #expect(header.byteLength == UInt64(tensor.values.count * 4))
            #expect(frames[offset + 1].count == tensor.values.count * 4)
            #expect(Array(header.sha256) == SHA256.hash(littleEndian: tensor.values))
        }
    }

    @Test("decode returns the envelope and tensors that were encoded")
    func roundTrip() throws {
        let (envelope, tensors) = try WireSamples.assignment()
        let message = try WireCodec.decode(try WireCodec.encode(envelope, tensors: tensors))
        #expect(message.tensors == tensors)
        let assignment = message.envelope.shardAssignment
        #expect(assignment.jobID == 42 && assignment.region == 3 && assignment.block == 1 && assignment.attempt == 2)
        #expect(assignment.sampler.stepBegin == 4 && assignment.sampler.stepEnd == 8)
        #expect(message.tensor(for: assignment.latents) == tensors[0])
        #expect(message.tensor(for: assignment.embeds.positive) == tensors[1])
        #expect(message.tensor(for: assignment.embeds.negative) == tensors[2])
        #expect(message.tensor(for: Reel_V1_TensorHeader()) == nil)
    }

    @Test("bodies without tensors and embeds sent by reference round-trip")
    func tensorlessBodies() throws {
        let hello = try WireCodec.decode(try WireCodec.encode(WireSamples.hello(name: "w1"), tensors: []))
        #expect(hello.envelope.hello.workerName == "w1")
        #expect(hello.tensors.isEmpty)

        var item = Reel_V1_WorkItem()
        item.kind = .decode
        item.jobID = 5
        item.chunk = 2
        item.attempt = 3
        var heartbeat = Reel_V1_Envelope()
        heartbeat.heartbeat.running = [item, Reel_V1_WorkItem()]
        heartbeat.heartbeat.freeSlots = 1
        let beat = try WireCodec.decode(try WireCodec.encode(heartbeat, tensors: []))
        #expect(beat.envelope.heartbeat.running == [item, Reel_V1_WorkItem()])
        var cancel = Reel_V1_Envelope()
        cancel.cancel.item = item
        #expect(try WireCodec.decode(try WireCodec.encode(cancel, tensors: [])).envelope.cancel.item == item)

        var (envelope, tensors) = try WireSamples.assignment()
        envelope.shardAssignment.embeds.clearPositive()
        envelope.shardAssignment.embeds.clearNegative()
        let reference = try WireCodec.decode(try WireCodec.encode(envelope, tensors: [tensors[0]]))
        #expect(reference.envelope.shardAssignment.embeds.embedsID == String(repeating: "ab", count: 32))
        #expect(reference.tensors == [tensors[0]])
    }

    @Test("tensors travel as little-endian IEEE-754 float32")
    func byteLayout() throws {
        // 1.0 = 0x3F800000, -2.0 = 0xC0000000, 0.15625 = 0x3E200000 (IEEE-754 binary32).
        let tensor = try WireTensor(name: "t", shape: [3], values: [1.0, -2.0, 0.15625])
        #expect(Array(tensor.littleEndianBytes) == [0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0xC0, 0x00, 0x00, 0x20, 0x3E])

        var envelope = Reel_V1_Envelope()
        envelope.shardResult.latents.name = "t"
        let frames = try WireCodec.encode(envelope, tensors: [tensor])
        #expect(frames[1] == tensor.littleEndianBytes)
        // Bytes written by hand decode to the same values.
        var handMade = frames
        handMade[1] = Data([0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0xC0, 0x00, 0x00, 0x20, 0x3E])
        #expect(try WireCodec.decode(handMade).tensors[0].values == [1.0, -2.0, 0.15625])
    }

    @Test("WireTensor rejects shapes its values do not fill")
    func tensorValidation() {
        expectWireError("too few values", { () throws(WireError) in
            try WireTensor(name: "x", shape: [2, 3], values: [1, 2, 3])
        }, matches: { if case .invalidTensor("x", _) = $0 { true } else { false } })
        expectWireError("zero dimension", { () throws(WireError) in
            try WireTensor(name: "x", shape: [2, 0], values: [])
        }, matches: { if case .invalidTensor("x", _) = $0 { true } else { false } })
        expectWireError("rank 9", { () throws(WireError) in
            try WireTensor(name: "x", shape: Array(repeating: 1, count: 9), values: [1])
        }, matches: { if case .invalidTensor("x", _) = $0 { true } else { false } })
        expectWireError("rank 0", { () throws(WireError) in
            try WireTensor(name: "x", shape: [], values: [1])
        }, matches: { if case .invalidTensor("x", _) = $0 { true } else { false } })
    }

    @Test("encode refuses envelopes and tensors that do not match")
    func encodeMismatch() throws {
        let (envelope, tensors) = try WireSamples.assignment()
        expectWireError("header names a tensor not given", { () throws(WireError) in
            try WireCodec.encode(envelope, tensors: Array(tensors.prefix(2)))
        }, matches: { if case .cannotEncode(let reason) = $0 { reason.contains("negative_prompt_embeds") } else { false } })
        let extra = try WireSamples.tensor("extra", shape: [1], seed: 0)
        expectWireError("tensor named by no header", { () throws(WireError) in
            try WireCodec.encode(envelope, tensors: tensors + [extra])
        }, matches: { if case .cannotEncode(let reason) = $0 { reason.contains("extra") } else { false } })
        expectWireError("two tensors with one name", { () throws(WireError) in
            try WireCodec.encode(envelope, tensors: tensors + [tensors[0]])
        }, matches: { if case .cannotEncode(let reason) = $0 { reason.contains("latents") } else { false } })
        var noLatents = envelope
        noLatents.shardAssignment.clearLatents()
        expectWireError("required header absent", { () throws(WireError) in
            try WireCodec.encode(noLatents, tensors: Array(tensors.dropFirst()))
        }, matches: { $0 == .missingTensor(field: "shard_assignment.latents") })
    }

    /// A shard that starts from the initial noise carries no latents: the header
    /// is then not required, and one that is present anyway is refused.
    @Test("initial_noise makes the latents optional, and present ones an error")
    func initialNoiseAssignment() throws {
        let (envelope, tensors) = try WireSamples.assignment()
        var noisy = envelope
        noisy.shardAssignment.clearLatents()
        noisy.shardAssignment.initialNoise = true
        let frames = try WireCodec.encode(noisy, tensors: Array(tensors.dropFirst()))
        let message = try WireCodec.decode(frames)
        #expect(message.envelope.shardAssignment.initialNoise && !message.envelope.shardAssignment.hasLatents)
        #expect(message.tensors.map(\.name) == tensors.dropFirst().map(\.name))
        var both = envelope
        both.shardAssignment.initialNoise = true
        expectWireError("latents beside initial_noise", { () throws(WireError) in
            try WireCodec.encode(both, tensors: tensors)
        }, matches: { if case .invalidTensor(let name, _) = $0 { name == "shard_assignment.latents" } else { false } })
    }

    @Test("a protocol version other than 2 is rejected, naming both versions")
    func protocolVersion() throws {
        // Version 1 is the protocol before results were pulled (ResultOffer/ResultPull).
        #expect(WireProtocol.version == 2)
        for version: UInt32 in [0, 1, 3, 99] {
            var envelope = WireSamples.hello(name: "w")
            envelope.protocolVersion = version
            let frames = [try envelope.serializedBytes() as Data]
            expectWireError("version \(version)", { () throws(WireError) in try WireCodec.decode(frames) },
                            matches: { $0 == .protocolVersionMismatch(received: version, expected: 2) })
        }
    }

    @Test("a frame whose bytes changed fails its SHA-256")
    func checksumMismatch() throws {
        let (envelope, tensors) = try WireSamples.assignment()
        var frames = try WireCodec.encode(envelope, tensors: tensors)
        frames[2][5] ^= 0x01
        expectWireError("flipped bit", { () throws(WireError) in try WireCodec.decode(frames) }, matches: {
            if case .checksumMismatch(let tensor, let declared, let computed) = $0 {
                tensor.contains("shard_assignment.embeds.positive") && declared != computed
            } else { false }
        })
    }
}
