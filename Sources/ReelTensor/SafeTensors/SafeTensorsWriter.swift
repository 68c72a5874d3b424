import Foundation

/// Writes safetensors files: F32, F16 or BF16, atomically (a temporary file
/// beside the target, renamed into place), so readers never see half a file.
public enum SafeTensorsWriter {
    /// A tensor to write and the type to store it as.
    public struct Item: Sendable {
        public var name: String
        public var tensor: Tensor
        public var dtype: DType
        public init(_ name: String, _ tensor: Tensor, dtype: DType = .f32) {
            self.name = name
            self.tensor = tensor
            self.dtype = dtype
        }
    }

    /// Writes `items` (names must be unique) with optional string `metadata` to `path`.
    public static func write(_ items: [Item], metadata: [String: String] = [:], to path: String) throws(SafeTensorsError) {
        var seen = Set<String>()
        for item in items {
            guard item.dtype.isWritable else {
                throw .unwritable(path: path, reason: "tensor '\(item.name)': Reel writes F32, F16 and BF16, not \(item.dtype.rawValue)")
            }
            guard seen.insert(item.name).inserted, item.name != "__metadata__" else {
                throw .unwritable(path: path, reason: "tensor name '\(item.name)' is duplicated or reserved")
            }
        }
        let ordered = items.sorted { $0.name < $1.name }
        var header = [String: Any]()
        var offset = 0
        for item in ordered {
            let size = item.tensor.count * item.dtype.size
            header[item.name] = ["dtype": item.dtype.rawValue, "shape": item.tensor.shape, "data_offsets": [offset, offset + size]] as [String: Any]
            offset += size
        }
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var json: Data
        do {
            json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        } catch {
            throw .unwritable(path: path, reason: "cannot encode header: \(error)")
        }
        // Pad with spaces so the data area starts 8-byte aligned, as the reference writer does.
        json.append(contentsOf: [UInt8](repeating: 0x20, count: (8 - json.count % 8) % 8))

        var out = Data(capacity: 8 + json.count + offset)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(json)
        for item in ordered { append(item.tensor.storage, as: item.dtype, to: &out) }

        let url = URL(fileURLWithPath: path)
        do {
            try out.write(to: url, options: .atomic)
        } catch {
            throw .unwritable(path: path, reason: (error as NSError).localizedDescription)
        }
    }

    private static func append(_ values: [Float], as dtype: DType, to out: inout Data) {
        switch dtype {
        case .f16:
            var bits = values.map { HalfPrecision.float16(from: $0).littleEndian }
            bits.withUnsafeMutableBytes { out.append(contentsOf: $0) }
        case .bf16:
            var bits = values.map { HalfPrecision.bfloat16(from: $0).littleEndian }
            bits.withUnsafeMutableBytes { out.append(contentsOf: $0) }
        default:
            var bits = values.map { $0.bitPattern.littleEndian }
            bits.withUnsafeMutableBytes { out.append(contentsOf: $0) }
        }
    }
}
