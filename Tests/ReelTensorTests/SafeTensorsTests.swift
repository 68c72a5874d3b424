import Foundation
import Testing
@testable import ReelTensor

@Suite struct SafeTensorsTests {
    let dir: String

    init() throws {
        dir = NSTemporaryDirectory() + "reel-st-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    /// Builds a file byte by byte, independently of `SafeTensorsWriter`, so the
    /// reader is checked against the format, not against our own writer.
    func handMade(_ header: String, data: [UInt8], name: String = "f.safetensors") throws -> String {
        var bytes = [UInt8]()
        let h = Array(header.utf8)
        withUnsafeBytes(of: UInt64(h.count).littleEndian) { bytes.append(contentsOf: $0) }
        bytes += h + data
        let path = dir + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func readsHandMadeF32F16AndBF16() throws {
        // 1.5 as F32 (0x3FC00000), -2 as F16 (0xC000), 0.15625 as BF16 (0x3E20).
        let path = try handMade(
            #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F16","shape":[1],"data_offsets":[4,6]},"c":{"dtype":"BF16","shape":[1,1],"data_offsets":[6,8]},"__metadata__":{"format":"pt"}}"#,
            data: [0x00, 0x00, 0xC0, 0x3F, 0x00, 0xC0, 0x20, 0x3E])
        let file = try SafeTensorsFile(path: path)
        #expect(try file.tensor("a").storage == [1.5])
        #expect(try file.tensor("b").storage == [-2])
        #expect(try file.tensor("c") == Tensor(shape: [1, 1], storage: [0.15625]))
        #expect(file.metadata == ["format": "pt"])
        #expect(file.names == ["a", "b", "c"])
    }

    @Test func writerRoundTripsEveryWritableType() throws {
        var rng = SeededRandom(seed: 9)
        let t = rng.uniformTensor([3, 5, 2], -100, 100)
        let path = dir + "/rt.safetensors"
        try SafeTensorsWriter.write(
            [.init("f32", t), .init("f16", t, dtype: .f16), .init("bf16", t, dtype: .bf16)],
            metadata: ["who": "test"], to: path)
        let file = try SafeTensorsFile(path: path)
        #expect(try file.tensor("f32") == t)
        let f16 = try file.tensor("f16"), bf16 = try file.tensor("bf16")
        for i in 0 ..< t.count {
            #expect(f16.storage[i] == Float(Float16(t.storage[i])))
            // bf16 keeps 8 significant bits: rounding error ≤ half an ulp = 2^-8 relative.
            #expect(abs(bf16.storage[i] - t.storage[i]) <= abs(t.storage[i]) / 256)
        }
        #expect(file.entry("bf16")?.dtype == .bf16)
        #expect(file.metadata["who"] == "test")
    }

    @Test func bfloat16RoundsToNearestEven() {
        // 1 + 2^-8 is exactly halfway between bf16 1.0 and 1.0078125: ties to even (1.0).
        #expect(HalfPrecision.bfloat16(from: Float(bitPattern: 0x3F80_8000)) == 0x3F80)
        // 1.0078125 + 2^-8 is halfway between 0x3F81 and 0x3F82: ties to even (0x3F82).
        #expect(HalfPrecision.bfloat16(from: Float(bitPattern: 0x3F81_8000)) == 0x3F82)
        #expect(HalfPrecision.bfloat16(from: Float(bitPattern: 0x3F80_8001)) == 0x3F81)
        #expect(HalfPrecision.float(fromBFloat16: HalfPrecision.bfloat16(from: .nan)).isNaN)
        #expect(HalfPrecision.float(fromBFloat16: 0xFF80) == -.infinity)
    }

    func expectMalformed(_ path: String, mentioning fragment: String) {
        do {
            _ = try SafeTensorsFile(path: path)
            Issue.record("\(path) was accepted")
        } catch {
            let message = error.description
            #expect(message.contains(fragment), "message was: \(message)")
            #expect(message.contains(path))
        }
    }

    @Test func rejectsMalformedFilesWithTheReason() throws {
        let f32 = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#
        // Truncated: data shorter than the header says.
        expectMalformed(try handMade(f32, data: [0, 0, 0, 0], name: "short.st"), mentioning: "run past")
        // Header length beyond the file.
        var bytes = [UInt8]()
        withUnsafeBytes(of: UInt64(1000).littleEndian) { bytes.append(contentsOf: $0) }
        try Data(bytes + [0x7B]).write(to: URL(fileURLWithPath: dir + "/len.st"))
        expectMalformed(dir + "/len.st", mentioning: "runs past the end")
        // Too short to hold the length.
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: dir + "/tiny.st"))
        expectMalformed(dir + "/tiny.st", mentioning: "shorter than the 8-byte")
        expectMalformed(try handMade("{not json", data: [], name: "json.st"), mentioning: "JSON")
        expectMalformed(
            try handMade(#"{"a":{"dtype":"Q4","shape":[1],"data_offsets":[0,1]}}"#, data: [0], name: "dtype.st"),
            mentioning: "unknown dtype 'Q4'")
        expectMalformed(
            try handMade(#"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, data: Array(repeating: 0, count: 8), name: "size.st"),
            mentioning: "needs 12 bytes but data_offsets span 8")
        expectMalformed(
            try handMade(
                #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#,
                data: Array(repeating: 0, count: 8), name: "overlap.st"),
            mentioning: "overlap")
        expectMalformed(
            try handMade(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}"#, data: Array(repeating: 0, count: 4), name: "order.st"),
            mentioning: "invalid data_offsets")
        expectMalformed(
            try handMade(#"{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#, data: Array(repeating: 0, count: 4), name: "neg.st"),
            mentioning: "negative")
    }

    @Test func readingAnIntegerTensorAsFloatsIsAClearError() throws {
        let path = try handMade(#"{"ids":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}"#, data: Array(repeating: 0, count: 8))
        let file = try SafeTensorsFile(path: path)
        #expect(throws: SafeTensorsError.unsupportedDType(path: path, name: "ids", dtype: "I64")) { try file.tensor("ids") }
        #expect(throws: SafeTensorsError.missingTensor(path: path, name: "nope")) { try file.tensor("nope") }
    }

    @Test func missingFileNamesThePath() {
        #expect(throws: SafeTensorsError.self) { try SafeTensorsFile(path: dir + "/absent.safetensors") }
    }

    @Test func shardedCheckpointFollowsTheIndex() throws {
        try SafeTensorsWriter.write([.init("x", Tensor(zeros: [2], value: 1))], to: dir + "/m-00001-of-00002.safetensors")
        try SafeTensorsWriter.write([.init("y", Tensor(zeros: [3], value: 2))], to: dir + "/m-00002-of-00002.safetensors")
        let index = #"{"metadata":{"total_size":20},"weight_map":{"x":"m-00001-of-00002.safetensors","y":"m-00002-of-00002.safetensors"}}"#
        try Data(index.utf8).write(to: URL(fileURLWithPath: dir + "/m.safetensors.index.json"))
        let ckpt = try Checkpoint(directory: dir, baseName: "m")
        #expect(ckpt.names == ["x", "y"])
        #expect(try ckpt.tensor("y").storage == [2, 2, 2])
        #expect(ckpt.file(of: "x")!.hasSuffix("m-00001-of-00002.safetensors"))

        let escape = #"{"weight_map":{"x":"../etc/passwd"}}"#
        try Data(escape.utf8).write(to: URL(fileURLWithPath: dir + "/bad.safetensors.index.json"))
        #expect(throws: SafeTensorsError.self) { try Checkpoint(directory: dir, baseName: "bad") }
    }

    @Test func bfloat16BitsAreStoredBitsOrRoundedToNearestEven() throws {
        // BF16 0x3E20 stays as it is; F32 1 + 2^-8 (halfway between two bf16) rounds to even 0x3F80,
        // 1 + 3·2^-8 to 0x3F82; F16 -2 (0xC000) is bf16 0xC000.
        let path = try handMade(
            #"{"a":{"dtype":"BF16","shape":[1],"data_offsets":[0,2]},"b":{"dtype":"F32","shape":[2],"data_offsets":[2,10]},"c":{"dtype":"F16","shape":[1],"data_offsets":[10,12]}}"#,
            data: [0x20, 0x3E, 0x00, 0x80, 0x80, 0x3F, 0x00, 0x81, 0x81, 0x3F, 0x00, 0xC0])
        let file = try SafeTensorsFile(path: path)
        #expect(try file.bfloat16Bits("a") == [0x3E20])
        #expect(try file.bfloat16Bits("b") == [0x3F80, 0x3F82])
        #expect(try file.bfloat16Bits("c") == [0xC000])
    }

    @Test func releasedPagesReadBackTheSame() throws {
        // A tensor spanning several pages: after its pages are dropped, reading faults them back in.
        var rng = SeededRandom(seed: 4)
        let t = rng.uniformTensor([4096, 3])
        let path = dir + "/big.safetensors"
        try SafeTensorsWriter.write([.init("t", t)], to: path)
        let file = try SafeTensorsFile(path: path)
        #expect(try file.tensor("t") == t)
        file.releasePages(of: "t")
        file.releasePages(of: "absent")
        #expect(try file.tensor("t") == t)
    }
}
