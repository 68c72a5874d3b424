import Foundation
import ReelFuzzing
import Testing
@testable import ReelTensor

/// Whatever bytes a safetensors file holds, opening it throws a `SafeTensorsError`
/// or yields entries that reading cannot fault on. ReelTensor is built with
/// `-Ounchecked`, so only real checks (`throw`) stand between a hostile header and
/// an out-of-bounds read; a trap here ends the whole test process.
@Suite("Safetensors fuzz")
struct SafeTensorsFuzzTests {
    let dir: String

    init() throws {
        dir = NSTemporaryDirectory() + "reel-st-fuzz-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    /// The 8-byte little-endian header length, the header, then the data area.
    static func pack(header: [UInt8], data: some Sequence<UInt8>) -> [UInt8] {
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { Array($0) } + header + data
    }

    /// A valid file's header JSON and data area.
    static func split(_ file: [UInt8]) -> (header: [UInt8], data: ArraySlice<UInt8>) {
        let length = Int(file[0 ..< 8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
        return (Array(file[8 ..< 8 + length]), file[(8 + length)...])
    }

    /// Valid files to mutate: every writable dtype with metadata (from the writer), and
    /// by hand a scalar, an empty tensor and types that do not convert to float.
    func validFiles() throws -> [[UInt8]] {
        var rng = SeededRandom(seed: 5)
        let path = dir + "/valid.safetensors"
        try SafeTensorsWriter.write(
            [
                .init("a", rng.uniformTensor([3, 4], -1, 1)), .init("b", rng.uniformTensor([2, 1, 3], -1, 1), dtype: .f16),
                .init("c", rng.uniformTensor([5], -1, 1), dtype: .bf16),
            ],
            metadata: ["format": "pt"], to: path)
        let handMade = Self.pack(
            header: Array(
                #"{"s":{"dtype":"F64","shape":[],"data_offsets":[0,8]},"e":{"dtype":"F32","shape":[0,4],"data_offsets":[8,8]},"u":{"dtype":"U8","shape":[2],"data_offsets":[8,10]}}"#
                    .utf8),
            data: [UInt8](repeating: 0x3F, count: 10))
        return [[UInt8](try Data(contentsOf: URL(fileURLWithPath: path))), handMade]
    }

    /// One fuzz input: byte damage, header damage that keeps the JSON parseable (most
    /// rounds, since it reaches the checks after parsing), or noise.
    static func input(from valid: [[UInt8]], using random: inout FuzzRandom) -> [UInt8] {
        let file = random.pick(valid)
        switch Int.random(in: 0 ..< 8, using: &random) {
        case 0 ..< 3:
            return ByteMutator.mutate(file, using: &random, corpus: valid)
        case 3 ..< 7:
            let (header, data) = split(file)
            let object = (try? JSONSerialization.jsonObject(with: Data(header))) ?? [:]
            let mutated = JSONMutator.bytes(JSONMutator.mutate(object, using: &random), using: &random)
            return pack(header: mutated, data: random.oneIn(4) ? data.prefix(Int.random(in: 0 ... data.count, using: &random)) : data)
        default:
            return ByteMutator.noise(maxCount: 48, using: &random)
        }
    }

    /// What opening promises, checked independently of how the reader checks it.
    static func expectReadable(_ file: SafeTensorsFile, fileBytes: [UInt8]) {
        let dataSize = fileBytes.count - 8 - split(fileBytes).header.count
        for (name, entry) in file.entries {
            #expect(entry.range.lowerBound >= 0 && entry.range.upperBound <= dataSize, "\(name) \(entry.range) outside \(dataSize) bytes")
            #expect(Tensor.elementCount(of: entry.shape + [entry.dtype.size]) == entry.range.count, "\(name) \(entry.shape)")
            do {
                let tensor = try file.tensor(name)
                #expect(entry.dtype.isFloatConvertible)
                #expect(tensor.shape == entry.shape && tensor.count * entry.dtype.size == entry.range.count)
            } catch {
                #expect(error == .unsupportedDType(path: file.path, name: name, dtype: entry.dtype.rawValue))
            }
        }
        let ranges = file.entries.values.map(\.range).filter { !$0.isEmpty }.sorted { $0.lowerBound < $1.lowerBound }
        #expect(zip(ranges, ranges.dropFirst()).allSatisfy { $0.upperBound <= $1.lowerBound }, "overlapping tensors")
    }

    @Test("mutated and random files are refused or read consistently")
    func mutatedFiles() throws {
        let valid = try validFiles()
        let path = dir + "/fuzz.safetensors"
        let summary = try Fuzzer("safetensors", seed: 0x5AFE).run { random, _ in
            let bytes = Self.input(from: valid, using: &random)
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            do throws(SafeTensorsError) {
                Self.expectReadable(try SafeTensorsFile(path: path), fileBytes: bytes)
                return true
            } catch {
                #expect(error.description.contains(path))
                return false
            }
        }
        // Most damage is caught; some (a flipped bit in the data, a metadata value)
        // leaves a valid file, so both outcomes must have been exercised.
        #expect(summary.accepted > 0 && summary.accepted < summary.rounds)
    }

    @Test("a sharded index that is damaged is refused or followed")
    func mutatedIndex() throws {
        try SafeTensorsWriter.write([.init("x", Tensor(zeros: [2], value: 1))], to: dir + "/m-1.safetensors")
        try SafeTensorsWriter.write([.init("y", Tensor(zeros: [3], value: 2))], to: dir + "/m-2.safetensors")
        let index: [String: Any] = ["metadata": ["total_size": 20], "weight_map": ["x": "m-1.safetensors", "y": "m-2.safetensors"]]
        let summary = try Fuzzer("safetensors index", seed: 0x1DE7, seconds: 1).run { random, _ in
            let bytes = JSONMutator.bytes(JSONMutator.mutate(index, using: &random), using: &random)
            try Data(bytes).write(to: URL(fileURLWithPath: dir + "/fuzz.safetensors.index.json"))
            do throws(SafeTensorsError) {
                let checkpoint = try Checkpoint(directory: dir, baseName: "fuzz")
                for name in checkpoint.names {
                    let tensor = try checkpoint.tensor(name)
                    #expect(tensor.count == checkpoint.entry(name)?.shape.reduce(1, *))
                }
                return true
            } catch {
                #expect(!error.description.isEmpty)
                return false
            }
        }
        #expect(summary.rounds > 0)
    }

    /// Shapes whose bytes overflow an Int, or whose zero extent hides two huge
    /// ones, used to pass (or wrap) the size check; each must be refused by name.
    @Test func overflowingShapesAreRefused() throws {
        for (shape, offsets) in [("[0, 4611686018427387904, 4611686018427387904]", "[0,0]"), ("[2147483648, 2147483648, 2147483648]", "[0,0]"), ("[4611686018427387904]", "[0,4]")] {
            let header = #"{"t":{"dtype":"F32","shape":\#(shape),"data_offsets":\#(offsets)}}"#
            let path = dir + "/overflow.safetensors"
            try Data(Self.pack(header: Array(header.utf8), data: [0, 0, 0, 0])).write(to: URL(fileURLWithPath: path))
            do {
                _ = try SafeTensorsFile(path: path)
                Issue.record("shape \(shape) was accepted")
            } catch {
                #expect(error.description.contains("more than Int.max bytes"), "\(error)")
            }
        }
    }

    @Test func tensorShapesThatOverflowAreRefused() {
        #expect(Tensor.elementCount(of: [1 << 32, 1 << 32, 1 << 32]) == nil)
        #expect(Tensor.elementCount(of: [0, 1 << 62, 1 << 62]) == nil)
        #expect(Tensor.elementCount(of: [2, -1]) == nil)
        #expect(Tensor.elementCount(of: [0, 1 << 30]) == 0)
        #expect(Tensor.elementCount(of: []) == 1)
        // Used to compute `shape.reduce(1, *)`, which traps (or, under -Ounchecked, wraps).
        #expect(throws: TensorError.self) { try Tensor(shape: [1 << 32, 1 << 32, 1 << 32], storage: []) }
        #expect(throws: TensorError.self) { try Tensor(shape: [0, 1 << 62, 1 << 62], storage: []) }
    }
}
