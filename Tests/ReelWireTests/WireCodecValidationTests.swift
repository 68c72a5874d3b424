import Foundation
import ReelWire
import SwiftProtobuf
import Testing

/// One test per rejection `WireCodec.decode` promises, each starting from a valid
/// message and breaking exactly one thing.
@Suite("WireCodec validation")
struct WireCodecValidationTests {
    /// A valid shard result: envelope + one latents frame of [2, 3, 2, 2] = 24 float32.
    let valid: [Data]

    init() throws {
        let (envelope, tensors) = try WireSamples.result()
        valid = try WireCodec.encode(envelope, tensors: tensors)
    }

    /// `valid` with its envelope changed by `change`.
    func withEnvelope(_ change: (inout Reel_V1_Envelope) -> Void) throws -> [Data] {
        var envelope = try Reel_V1_Envelope(serializedBytes: valid[0])
        change(&envelope)
        var frames = valid
        frames[0] = try envelope.serializedBytes()
        return frames
    }

    func expectRejected(
        _ what: String, _ frames: [Data], limits: WireLimits = WireLimits(),
        sourceLocation: SourceLocation = #_sourceLocation, matches: (WireError) -> Bool
    ) {
        expectWireError(what, sourceLocation: sourceLocation, { () throws(WireError) in
            try WireCodec.decode(frames, limits: limits)
        }, matches: matches)
    }

    @Test func validMessageDecodes() throws {
        #expect(try WireCodec.decode(valid).tensors.count == 1)
    }

    @Test func emptyMessage() {
        expectRejected("no frames", []) { $0 == .emptyMessage }
    }

    @Test func tooLarge() {
        let size = valid.reduce(0) { $0 + $1.count }
        expectRejected("over the byte limit", valid, limits: WireLimits(maxMessageBytes: size - 1)) {
            $0 == .messageTooLarge(bytes: size, limit: size - 1)
        }
        #expect(throws: Never.self) { try WireCodec.decode(valid, limits: WireLimits(maxMessageBytes: size)) }
    }

    @Test func tooManyFrames() {
        let frames = valid + Array(repeating: Data(), count: 20)
        expectRejected("21 frames", frames) { $0 == .tooManyFrames(count: 22, limit: WireLimits.defaultMaxFrames) }
    }

    @Test func malformedEnvelope() {
        var frames = valid
        frames[0] = Data([0xFF, 0xFF, 0xFF, 0xFF])
        expectRejected("garbage envelope", frames) { if case .malformedEnvelope = $0 { true } else { false } }
        frames[0] = valid[0].prefix(valid[0].count - 3)
        expectRejected("truncated envelope", frames) { if case .malformedEnvelope = $0 { true } else { false } }
    }

    @Test func missingBody() throws {
        var envelope = Reel_V1_Envelope()
        envelope.protocolVersion = WireProtocol.version
        expectRejected("no body", [try envelope.serializedBytes()]) { $0 == .missingBody }
    }

    @Test func unknownBody() throws {
        var envelope = Reel_V1_Envelope()
        envelope.protocolVersion = WireProtocol.version
        var bytes: Data = try envelope.serializedBytes()
        // Field 90, wire type 2 (length-delimited), empty: a body a newer peer might
        // send (50 and 51 are the prompt encoding's, 60 and 61 the source encoding's).
        bytes.append(contentsOf: [0xD2, 0x05, 0x00])
        expectRejected("field 90", [bytes]) { $0 == .unknownBody(fieldNumber: 90) }
    }

    @Test func missingRequiredTensor() throws {
        let frames = try withEnvelope { $0.shardResult.clearLatents() }
        expectRejected("result without latents", Array(frames.prefix(1))) {
            $0 == .missingTensor(field: "shard_result.latents")
        }
        var (assignment, tensors) = try WireSamples.assignment()
        var sent = try WireCodec.encode(assignment, tensors: tensors)
        assignment = try Reel_V1_Envelope(serializedBytes: sent[0])
        assignment.shardAssignment.embeds.clearPositive()
        sent[0] = try assignment.serializedBytes()
        sent.remove(at: 2)
        expectRejected("negative embeds without positive", sent) {
            $0 == .missingTensor(field: "shard_assignment.embeds.positive")
        }
    }

    @Test func headerNamesMissingFrame() throws {
        for index: UInt32 in [0, 2, 1000] {
            let frames = try withEnvelope { $0.shardResult.latents.frameIndex = index }
            expectRejected("frame \(index)", frames) {
                if case .tensorFrameMissing(let tensor, Int(index), 2) = $0 { tensor.contains("shard_result.latents") }
                else { false }
            }
        }
    }

    @Test func frameNamedTwice() throws {
        let (envelope, tensors) = try WireSamples.assignment()
        var frames = try WireCodec.encode(envelope, tensors: tensors)
        var sent = try Reel_V1_Envelope(serializedBytes: frames[0])
        sent.shardAssignment.embeds.negative = sent.shardAssignment.embeds.positive
        frames[0] = try sent.serializedBytes()
        expectRejected("positive and negative share frame 2", frames) {
            if case .frameReferencedTwice(2, let names) = $0 { names.count == 2 } else { false }
        }
    }

    @Test func unreferencedFrame() {
        expectRejected("extra frame", valid + [Data([1, 2, 3, 4])]) { $0 == .unreferencedFrame(frameIndex: 2) }
    }

    @Test func dtypeNotF32() throws {
        for dtype: Reel_V1_DType in [.unspecified, .UNRECOGNIZED(7)] {
            let frames = try withEnvelope { $0.shardResult.latents.dtype = dtype }
            expectRejected("dtype \(dtype)", frames) {
                if case .unsupportedDType(_, dtype.rawValue) = $0 { true } else { false }
            }
        }
    }

    @Test func invalidShapes() throws {
        let shapes: [[UInt64]] = [
            [], Array(repeating: 1, count: 9), [12, 0], [UInt64.max, 2], [1 << 40, 1 << 40], [1 << 31],
        ]
        for shape in shapes {
            let frames = try withEnvelope { $0.shardResult.latents.shape = shape }
            expectRejected("shape \(shape)", frames) {
                if case .invalidShape(_, shape, _) = $0 { true } else { false }
            }
        }
        // Without a size limit the element count itself must not overflow.
        let overflowing: [UInt64] = [1 << 40, 1 << 40]
        let frames = try withEnvelope { $0.shardResult.latents.shape = overflowing }
        expectRejected("2^80 elements", frames, limits: WireLimits(maxMessageBytes: .max)) {
            if case .invalidShape(_, overflowing, _) = $0 { true } else { false }
        }
    }

    @Test func byteLengthDisagreesWithShape() throws {
        let frames = try withEnvelope { $0.shardResult.latents.byteLength = 92 }
        expectRejected("byte_length 92 for 24 floats", frames) {
            if case .byteLengthMismatch(_, [2, 3, 2, 2], 96, 92) = $0 { true } else { false }
        }
        let reshaped = try withEnvelope { $0.shardResult.latents.shape = [2, 3, 2, 3] }
        expectRejected("shape of 36 floats over 96 bytes", reshaped) {
            if case .byteLengthMismatch(_, _, 144, 96) = $0 { true } else { false }
        }
    }

    @Test func frameSizeDisagreesWithHeader() {
        var frames = valid
        frames[1] = frames[1].prefix(92)
        expectRejected("truncated frame", frames) {
            if case .frameSizeMismatch(_, 96, 92) = $0 { true } else { false }
        }
    }

    @Test func checksumFieldWrong() throws {
        let frames = try withEnvelope { $0.shardResult.latents.sha256 = Data([1, 2, 3]) }
        expectRejected("3-byte sha256", frames) {
            if case .checksumMismatch(_, "010203", _) = $0 { true } else { false }
        }
    }
}
