import Foundation
import ReelFuzzing
@testable import ReelWire
import Testing

/// Hostile tensor headers: byte damage seldom produces a header that parses with
/// a huge dimension, a byte length that wraps or a frame number out of range, so
/// these are written field by field into a valid envelope, for a bounded time.
extension WireCodecFuzzTests {
    /// Dimensions at the edges of the size arithmetic: 0, the limits of each width,
    /// and pairs whose product wraps a UInt64 to something small.
    static let hostileDimensions: [UInt64] = ByteMutator.interestingIntegers + [3, 1 << 31, (1 << 32) + 1, 1 << 33]

    /// One random change to one header field.
    static func damage(_ header: inout Reel_V1_TensorHeader, using random: inout FuzzRandom) {
        switch Int.random(in: 0 ..< 7, using: &random) {
        case 0:
            header.shape = (0 ..< Int.random(in: 0 ... 10, using: &random)).map { _ in random.pick(hostileDimensions) }
        case 1 where !header.shape.isEmpty:
            header.shape[Int.random(in: 0 ..< header.shape.count, using: &random)] = random.pick(hostileDimensions)
        case 2:
            header.byteLength = random.pick(ByteMutator.interestingIntegers)
        case 3:
            // A byte length that agrees with the shape as wrapping arithmetic computes it,
            // so the frame-size and checksum checks are reached with a hostile shape too.
            header.byteLength = header.shape.reduce(UInt64(4)) { $0 &* $1 }
        case 4:
            header.dtype = Reel_V1_DType(rawValue: Int.random(in: -1 ... 3, using: &random)) ?? .unspecified
        case 5:
            header.frameIndex = UInt32(truncatingIfNeeded: random.pick(ByteMutator.interestingIntegers))
        default:
            header.sha256 = Data(ByteMutator.noise(maxCount: 40, using: &random))
        }
    }

    @Test("hostile tensor headers are refused or decode consistently")
    func hostileHeaders() throws {
        let (envelope, tensors) = try WireSamples.assignment()
        let valid = try WireCodec.encode(envelope, tensors: tensors)
        let validEnvelope = try Reel_V1_Envelope(serializedBytes: valid[0])
        let summary = try Fuzzer("wire headers", seed: 0x3173).run { random, _ in
            var edited = validEnvelope
            try edited.visitTensorHeaders { _, _, header throws(WireError) in
                guard var damaged = header, random.oneIn(2) else { return }
                Self.damage(&damaged, using: &random)
                header = random.oneIn(8) ? nil : damaged
            }
            var frames = valid
            frames[0] = try edited.serializedBytes()
            if random.oneIn(4) { mutate(&frames, &random) }
            do throws(WireError) {
                let envelope = try WireCodec.decodeEnvelope(frames)
                #expect(envelope.protocolVersion == WireProtocol.version && envelope.body != nil)
            } catch {
                #expect(!error.description.isEmpty)
            }
            do throws(WireError) {
                expectConsistent(try WireCodec.decode(frames))
                return true
            } catch {
                #expect(!error.description.isEmpty)
                return false
            }
        }
        // About one round in ten leaves every header and frame alone (each header is
        // damaged with probability 1/2), so both outcomes are exercised.
        #expect(summary.accepted > 0 && summary.accepted < summary.rounds)
    }
}
