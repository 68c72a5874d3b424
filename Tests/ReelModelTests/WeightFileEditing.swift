import ReelTensor

/// Helpers the folder tests share: rewriting a checkpoint to break it, and
/// reading the error a call throws.
enum WeightFileEditing {
    /// Rewrites the safetensors file at `path` through `edit`.
    static func rewrite(_ path: String, _ edit: (inout [String: Tensor]) -> Void) throws {
        let file = try SafeTensorsFile(path: path)
        var tensors = [String: Tensor]()
        for name in file.names { tensors[name] = try file.tensor(name) }
        edit(&tensors)
        try SafeTensorsWriter.write(tensors.map { .init($0.key, $0.value) }, to: path)
    }

    /// The description of the error `body` throws, or "(no error)".
    static func message(_ body: () throws -> Void) -> String {
        do {
            try body()
            return "(no error)"
        } catch {
            return "\(error)"
        }
    }
}
