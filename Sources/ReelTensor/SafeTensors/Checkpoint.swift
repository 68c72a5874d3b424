import Foundation

/// The weights of one model component in a folder: a single
/// `NAME.safetensors`, or shards listed by `NAME.safetensors.index.json`
/// (`{"weight_map": {tensor: shard file}}`), as diffusers saves them.
public final class Checkpoint: Sendable {
    /// The files the tensors came from, for messages.
    public let files: [String]
    private let shards: [SafeTensorsFile]
    private let location: [String: Int]

    /// Opens `directory/baseName.safetensors`, or the sharded index beside it.
    public init(directory: String, baseName: String) throws(SafeTensorsError) {
        let single = (directory as NSString).appendingPathComponent("\(baseName).safetensors")
        let index = single + ".index.json"
        if FileManager.default.fileExists(atPath: single) {
            let file = try SafeTensorsFile(path: single)
            shards = [file]
            files = [single]
            location = Dictionary(uniqueKeysWithValues: file.entries.keys.map { ($0, 0) })
        } else if FileManager.default.fileExists(atPath: index) {
            let map = try Self.readIndex(index)
            // Shards in name order, each with the tensors the index puts in it.
            let tensorsByShard = Dictionary(grouping: map, by: \.value).sorted { $0.key < $1.key }
            var opened = [SafeTensorsFile]()
            var location = [String: Int]()
            for (i, (shard, tensors)) in tensorsByShard.enumerated() {
                let file = try SafeTensorsFile(path: (directory as NSString).appendingPathComponent(shard))
                for (tensor, _) in tensors {
                    guard file.entry(tensor) != nil else {
                        throw .malformedHeader(path: index, reason: "weight_map puts '\(tensor)' in '\(shard)', which has no such tensor")
                    }
                    location[tensor] = i
                }
                opened.append(file)
            }
            shards = opened
            files = opened.map(\.path)
            self.location = location
        } else {
            throw .unreadable(path: single, reason: "no such file, and no sharded index '\(index)' either")
        }
    }

    /// Every tensor name in the checkpoint.
    public var names: Set<String> { Set(location.keys) }

    /// The file holding `name`.
    public func file(of name: String) -> String? { location[name].map { shards[$0].path } }

    /// The header entry of `name`.
    public func entry(_ name: String) -> SafeTensorsFile.Entry? { location[name].flatMap { shards[$0].entry(name) } }

    /// Reads `name` as float32.
    public func tensor(_ name: String) throws(SafeTensorsError) -> Tensor {
        guard let i = location[name] else { throw .missingTensor(path: files.joined(separator: ", "), name: name) }
        return try shards[i].tensor(name)
    }

    /// Reads `name` as bfloat16 bits (see ``SafeTensorsFile/bfloat16Bits(_:)``).
    public func bfloat16Bits(_ name: String) throws(SafeTensorsError) -> [UInt16] {
        guard let i = location[name] else { throw .missingTensor(path: files.joined(separator: ", "), name: name) }
        return try shards[i].bfloat16Bits(name)
    }

    /// See ``SafeTensorsFile/releasePages(of:)``.
    public func releasePages(of name: String) {
        if let i = location[name] { shards[i].releasePages(of: name) }
    }

    /// The dtypes present, with the element count of each.
    public var dtypeCounts: [DType: Int] {
        var counts = [DType: Int]()
        for name in location.keys {
            if let e = entry(name) { counts[e.dtype, default: 0] += e.shape.reduce(1, *) }
        }
        return counts
    }

    private static func readIndex(_ path: String) throws(SafeTensorsError) -> [String: String] {
        struct Index: Decodable { let weight_map: [String: String] }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw .unreadable(path: path, reason: (error as NSError).localizedDescription)
        }
        let index: Index
        do { index = try JSONDecoder().decode(Index.self, from: data) } catch {
            throw .malformedHeader(path: path, reason: "not a safetensors index: expected {\"weight_map\": {tensor: file}}")
        }
        for file in Set(index.weight_map.values) where file.contains("/") || file.hasPrefix(".") || file.isEmpty {
            // A shard must sit beside its index; anything else could read arbitrary files.
            throw .malformedHeader(path: path, reason: "shard name '\(file)' must be a plain file name in the same folder")
        }
        return index.weight_map
    }
}
