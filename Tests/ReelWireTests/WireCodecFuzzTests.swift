import Foundation
import ReelFuzzing
import ReelHash
import ReelTensor
@testable import ReelWire
import Testing

/// Whatever a peer sends, decoding either throws a `WireError` or yields a message
/// whose every tensor matches its header. A crash fails the whole run.
@Suite("WireCodec fuzz")
struct WireCodecFuzzTests {
    /// Checks a decoded message against its own headers, independently of how the
    /// codec checked them.
    func expectConsistent(_ message: WireMessage, sourceLocation: SourceLocation = #_sourceLocation) {
        var envelope = message.envelope
        var headers = 0
        do {
            try envelope.visitTensorHeaders { _, _, header throws(WireError) in
                guard let header else { return }
                headers += 1
                guard let tensor = message.tensor(for: header) else {
                    Issue.record("header \(header.name) has no tensor", sourceLocation: sourceLocation)
                    return
                }
                #expect(tensor.shape.map { UInt64($0) } == header.shape, sourceLocation: sourceLocation)
                #expect(header.byteLength == UInt64(tensor.values.count * 4), sourceLocation: sourceLocation)
                #expect(Array(header.sha256) == SHA256.hash(littleEndian: tensor.values), sourceLocation: sourceLocation)
            }
        } catch {
            Issue.record("visiting headers threw \(error)", sourceLocation: sourceLocation)
        }
        #expect(headers == message.tensors.count, sourceLocation: sourceLocation)
        #expect(message.envelope.protocolVersion == WireProtocol.version, sourceLocation: sourceLocation)
        #expect(message.envelope.body != nil, sourceLocation: sourceLocation)
    }

    func randomBytes(_ count: Int, _ random: inout FuzzRandom) -> Data {
        Data((0..<count).map { _ in UInt8.random(in: 0...255, using: &random) })
    }

    @Test("random frames never crash the decoder")
    func randomFrames() {
        var random = FuzzRandom(seed: 1)
        var accepted = 0
        for _ in 0..<1000 {
            let frames = (0..<Int.random(in: 0...4, using: &random)).map { _ in
                randomBytes(Int.random(in: 0...64, using: &random), &random)
            }
            if let message = try? WireCodec.decode(frames) {
                accepted += 1
                expectConsistent(message)
            }
        }
        // Random bytes are almost never a versioned envelope with a known body.
        #expect(accepted < 20)
    }

    @Test("mutated valid messages are rejected or still self-consistent")
    func mutatedMessages() throws {
        let (envelope, tensors) = try WireSamples.assignment()
        let valid = try WireCodec.encode(envelope, tensors: tensors)
        var random = FuzzRandom(seed: 2)
        var rejected = 0
        let rounds = 2000
        for _ in 0..<rounds {
            var frames = valid
            for _ in 0..<Int.random(in: 1...3, using: &random) {
                mutate(&frames, &random)
            }
            do {
                expectConsistent(try WireCodec.decode(frames))
            } catch {
                rejected += 1
                #expect(!error.description.isEmpty)
            }
        }
        // Most mutations hit a tensor, a header or the frame list; some only touch
        // scalars like the sequence number and legitimately decode.
        #expect(rejected > rounds / 2)
    }

    @Test("every single-bit flip in a tensor frame is caught")
    func everyBitFlip() throws {
        let (envelope, tensors) = try WireSamples.result()
        let valid = try WireCodec.encode(envelope, tensors: tensors)
        for bit in 0..<(valid[1].count * 8) {
            var frames = valid
            frames[1][bit / 8] ^= UInt8(1 << (bit % 8))
            #expect(throws: WireError.self) { try WireCodec.decode(frames) }
        }
    }

    /// One random change to a message's frames.
    func mutate(_ frames: inout [Data], _ random: inout FuzzRandom) {
        let target = frames.isEmpty ? 0 : Int.random(in: 0..<frames.count, using: &random)
        switch Int.random(in: 0..<8, using: &random) {
        case 0 where !frames.isEmpty && !frames[target].isEmpty:
            let bit = Int.random(in: 0..<frames[target].count * 8, using: &random)
            frames[target][bit / 8] ^= UInt8(1 << (bit % 8))
        case 1 where !frames.isEmpty:
            frames[target] = frames[target].prefix(Int.random(in: 0...frames[target].count, using: &random))
        case 2 where !frames.isEmpty:
            frames[target].append(randomBytes(Int.random(in: 1...8, using: &random), &random))
        case 3 where !frames.isEmpty:
            frames.remove(at: target)
        case 4 where !frames.isEmpty:
            frames.insert(frames[target], at: Int.random(in: 0...frames.count, using: &random))
        case 5 where frames.count > 1:
            frames.swapAt(target, Int.random(in: 0..<frames.count, using: &random))
        case 6:
            frames.insert(randomBytes(Int.random(in: 0...32, using: &random), &random),
                          at: Int.random(in: 0...frames.count, using: &random))
        default:
            if !frames.isEmpty && !frames[target].isEmpty {
                let at = Int.random(in: 0..<frames[target].count, using: &random)
                frames[target][at] = UInt8.random(in: 0...255, using: &random)
            }
        }
    }
}
