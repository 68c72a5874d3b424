import Foundation

/// A safetensors file, memory-mapped and validated when opened.
///
/// Layout: an 8-byte little-endian header length `N`, `N` bytes of JSON mapping
/// tensor names to `{dtype, shape, data_offsets}` (offsets relative to the data
/// area that follows), and an optional `__metadata__` string map. Opening checks
/// everything a hostile or truncated file could get wrong — header length, JSON,
/// dtypes, shape × dtype size against each byte range, ranges inside the data
/// area and not overlapping — so reading a tensor afterwards cannot fault.
public final class SafeTensorsFile: Sendable {
    /// Where one tensor's bytes are and how to interpret them.
    public struct Entry: Sendable, Equatable {
        public let dtype: DType
        public let shape: [Int]
        /// Byte range within the data area.
        public let range: Range<Int>
    }

    /// The largest header accepted; real headers are kilobytes.
    public static let maxHeaderBytes = 100 << 20

    public let path: String
    public let entries: [String: Entry]
    public let metadata: [String: String]
    private let file: MappedFile
    private let dataStart: Int

    /// Tensor names in sorted order.
    public var names: [String] { entries.keys.sorted() }

    public init(path: String) throws(SafeTensorsError) {
        self.path = path
        file = try MappedFile(path: path)
        let bytes = file.bytes
        guard bytes.count >= 8 else {
            throw .malformedHeader(path: path, reason: "file is \(bytes.count) bytes, shorter than the 8-byte header length")
        }
        let headerLength = UInt64(littleEndian: bytes.loadUnaligned(as: UInt64.self))
        guard headerLength <= UInt64(Self.maxHeaderBytes) else {
            throw .malformedHeader(path: path, reason: "header length \(headerLength) exceeds the \(Self.maxHeaderBytes)-byte limit")
        }
        guard 8 + Int(headerLength) <= bytes.count else {
            throw .malformedHeader(
                path: path, reason: "header length \(headerLength) runs past the end of the \(bytes.count)-byte file (truncated?)")
        }
        dataStart = 8 + Int(headerLength)
        let json = Data(bytes[8 ..< dataStart])
        (entries, metadata) = try Self.parseHeader(json, dataSize: bytes.count - dataStart, path: path)
    }

    /// The description of `name`, or nil.
    public func entry(_ name: String) -> Entry? { entries[name] }

    /// Reads `name` as float32, widening F16, BF16 and F64.
    public func tensor(_ name: String) throws(SafeTensorsError) -> Tensor {
        guard let entry = entries[name] else { throw .missingTensor(path: path, name: name) }
        guard entry.dtype.isFloatConvertible else {
            throw .unsupportedDType(path: path, name: name, dtype: entry.dtype.rawValue)
        }
        let count = entry.shape.reduce(1, *)
        let raw = UnsafeRawBufferPointer(rebasing: file.bytes[(dataStart + entry.range.lowerBound) ..< (dataStart + entry.range.upperBound)])
        let storage = [Float](unsafeUninitializedCapacity: count) { out, initialized in
            switch entry.dtype {
            case .f32:
                for i in 0 ..< count { out[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))) }
            case .f16:
                for i in 0 ..< count { out[i] = HalfPrecision.float(fromFloat16: UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) }
            case .bf16:
                for i in 0 ..< count { out[i] = HalfPrecision.float(fromBFloat16: UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) }
            case .f64:
                for i in 0 ..< count { out[i] = Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)))) }
            default:
                break
            }
            initialized = count
        }
        return Tensor(uncheckedShape: entry.shape, storage: storage)
    }

    /// Reads `name` as bfloat16 bits: BF16 as stored (no float32 copy is made), F32,
    /// F16 and F64 rounded to the nearest bfloat16 (ties to even). Lets a model keep
    /// its large matrices at two bytes an element (see ``BFloat16Matrix``).
    public func bfloat16Bits(_ name: String) throws(SafeTensorsError) -> [UInt16] {
        guard let entry = entries[name] else { throw .missingTensor(path: path, name: name) }
        guard entry.dtype.isFloatConvertible else {
            throw .unsupportedDType(path: path, name: name, dtype: entry.dtype.rawValue)
        }
        let count = entry.shape.reduce(1, *)
        let raw = UnsafeRawBufferPointer(rebasing: file.bytes[(dataStart + entry.range.lowerBound) ..< (dataStart + entry.range.upperBound)])
        return [UInt16](unsafeUninitializedCapacity: count) { out, initialized in
            switch entry.dtype {
            case .bf16:
                for i in 0 ..< count { out[i] = UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) }
            case .f32:
                for i in 0 ..< count {
                    out[i] = HalfPrecision.bfloat16(from: Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))))
                }
            case .f16:
                for i in 0 ..< count {
                    out[i] = HalfPrecision.bfloat16(from: HalfPrecision.float(fromFloat16: UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))))
                }
            case .f64:
                for i in 0 ..< count {
                    out[i] = HalfPrecision.bfloat16(from: Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)))))
                }
            default:
                break
            }
            initialized = count
        }
    }

    /// Drops the mapped pages wholly inside `name`'s bytes from this process, once they
    /// have been copied out: the file stays mapped, but a loader that copies a multi-GB
    /// checkpoint tensor by tensor then holds each byte once (in its arrays) rather than
    /// twice (arrays plus the mapping's resident pages). Reading `name` again faults the
    /// pages back in from the file.
    public func releasePages(of name: String) {
        guard let entry = entries[name], let base = file.bytes.baseAddress else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = Int(bitPattern: base) + dataStart + entry.range.lowerBound
        let end = Int(bitPattern: base) + dataStart + entry.range.upperBound
        let first = (start + page - 1) / page * page, last = end / page * page
        guard last > first, let pointer = UnsafeMutableRawPointer(bitPattern: first) else { return }
        _ = madvise(pointer, last - first, Int32(MADV_DONTNEED))
    }

    private static func parseHeader(_ json: Data, dataSize: Int, path: String) throws(SafeTensorsError)
        -> ([String: Entry], [String: String])
    {
        let header: RawHeader
        do {
            header = try JSONDecoder().decode(RawHeader.self, from: json)
        } catch {
            throw .malformedHeader(path: path, reason: "header is not the expected JSON (\(Self.describe(error)))")
        }
        var entries = [String: Entry]()
        for (name, raw) in header.tensors {
            guard let dtype = DType(rawValue: raw.dtype) else {
                throw .malformedHeader(
                    path: path, reason: "tensor '\(name)' has unknown dtype '\(raw.dtype)' (known: \(DType.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            guard raw.shape.allSatisfy({ $0 >= 0 }) else {
                throw .malformedHeader(path: path, reason: "tensor '\(name)' has a negative extent in shape \(raw.shape)")
            }
            guard raw.data_offsets.count == 2, raw.data_offsets[0] >= 0, raw.data_offsets[0] <= raw.data_offsets[1] else {
                throw .malformedHeader(path: path, reason: "tensor '\(name)' has invalid data_offsets \(raw.data_offsets)")
            }
            let range = raw.data_offsets[0] ..< raw.data_offsets[1]
            guard range.upperBound <= dataSize else {
                throw .malformedHeader(
                    path: path, reason: "tensor '\(name)' bytes \(range) run past the \(dataSize)-byte data area (truncated?)")
            }
            // The byte count as the element count of the shape with the element size as
            // one more axis: checked so that no product of some of the extents can
            // overflow later (see `Tensor.elementCount(of:)`), zero extents included.
            guard let bytes = Tensor.elementCount(of: raw.shape + [dtype.size]) else {
                throw .malformedHeader(
                    path: path,
                    reason: "tensor '\(name)' of shape \(raw.shape) and dtype \(dtype.rawValue) has more than Int.max bytes (counting each 0 extent as 1)")
            }
            guard bytes == range.count else {
                throw .malformedHeader(
                    path: path,
                    reason: "tensor '\(name)' of shape \(raw.shape) and dtype \(dtype.rawValue) needs \(bytes) bytes but data_offsets span \(range.count)")
            }
            entries[name] = Entry(dtype: dtype, shape: raw.shape, range: range)
        }
        let ordered = entries.sorted { ($0.value.range.lowerBound, $0.value.range.upperBound) < ($1.value.range.lowerBound, $1.value.range.upperBound) }
        for (a, b) in zip(ordered, ordered.dropFirst()) where a.value.range.upperBound > b.value.range.lowerBound {
            throw .malformedHeader(
                path: path, reason: "tensors '\(a.key)' \(a.value.range) and '\(b.key)' \(b.value.range) overlap")
        }
        return (entries, header.metadata)
    }

    private static func describe(_ error: any Error) -> String {
        switch error {
        case let DecodingError.dataCorrupted(context): context.debugDescription
        case let DecodingError.keyNotFound(key, context): "missing '\(key.stringValue)' at \(path(context))"
        case let DecodingError.typeMismatch(_, context): "\(context.debugDescription) at \(path(context))"
        case let DecodingError.valueNotFound(_, context): "null at \(path(context))"
        default: "\(error)"
        }
    }

    private static func path(_ context: DecodingError.Context) -> String {
        context.codingPath.map(\.stringValue).joined(separator: ".")
    }
}

/// The header JSON as written: tensor entries plus an optional `__metadata__`.
private struct RawHeader: Decodable {
    struct RawEntry: Decodable {
        let dtype: String
        let shape: [Int]
        let data_offsets: [Int]
    }
    struct Key: CodingKey {
        let stringValue: String
        init(stringValue: String) { self.stringValue = stringValue }
        var intValue: Int? { nil }
        init?(intValue: Int) { nil }
    }

    var tensors: [String: RawEntry] = [:]
    var metadata: [String: String] = [:]

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        for key in container.allKeys {
            if key.stringValue == "__metadata__" {
                metadata = try container.decode([String: String].self, forKey: key)
            } else {
                tensors[key.stringValue] = try container.decode(RawEntry.self, forKey: key)
            }
        }
    }
}
