import ReelTensor

/// How the encoder keeps its matrices (the projections and the embedding) in memory.
public enum UMT5WeightStorage: String, Sendable, CaseIterable {
    /// BF16 tensors stay bf16 (widened per tile in the GEMM); F32 and F16 become float32.
    case asStored = "stored"
    /// Every matrix in bf16, F32 ones rounded to nearest even on load: umT5-XXL's
    /// 22.7 GB of F32 shards take 11.4 GB. Results then differ from an F32 run by
    /// the rounding of the weights.
    case bfloat16 = "bf16"
}

/// A bias-free linear layer's weight (T5 has no biases), in float32 or bfloat16.
enum UMT5Matrix: Sendable {
    case float32(weight_T: Tensor)  // weight (out, in), stored transposed: (in, out)
    case bfloat16(BFloat16Matrix)  // weight (out, in) as stored

    /// `x · Wᵀ` over the rows of `x (N, in)`.
    func callAsFunction(_ x: Tensor) throws(ModelError) -> Tensor {
        switch self {
        case let .float32(weight_T): try kernel { () throws(TensorError) in try Linear.forward(x, weight: weight_T, layout: .inOut, bias: nil) }
        case let .bfloat16(weight): try kernel { () throws(TensorError) in try Linear.forward(x, weight: weight) }
        }
    }

    /// Bytes held.
    var bytes: Int {
        switch self {
        case let .float32(w): 4 * w.count
        case let .bfloat16(w): 2 * w.bits.count
        }
    }
}

/// Takes tensors from a checkpoint by name, checking shapes, and at the end that
/// every tensor was used — ``CheckpointWeights`` for a model that keeps some
/// tensors in bfloat16.
struct UMT5Loader {
    let checkpoint: Checkpoint
    let storage: UMT5WeightStorage
    private(set) var taken = Set<String>()

    init(_ checkpoint: Checkpoint, storage: UMT5WeightStorage) {
        self.checkpoint = checkpoint
        self.storage = storage
    }

    func check(_ name: String, shape: [Int]) throws(ModelError) -> SafeTensorsFile.Entry {
        guard let entry = checkpoint.entry(name) else {
            throw .missingTensor(name: name, expectedShape: shape, files: checkpoint.files)
        }
        guard entry.shape == shape else {
            throw .tensorShape(name: name, expected: shape, actual: entry.shape, file: checkpoint.file(of: name) ?? "?")
        }
        return entry
    }

    /// A small tensor (norm weights, position biases) in float32.
    mutating func tensor(_ name: String, shape: [Int]) throws(ModelError) -> Tensor {
        _ = try check(name, shape: shape)
        taken.insert(name)
        do { return try checkpoint.tensor(name) } catch { throw .weights(error) }
    }

    /// A matrix `(rows, columns)` kept per ``storage``; `transposed` float32 copies are
    /// `(columns, rows)`, the layout the GEMM reads fastest (see ``Linear/Layout/inOut``).
    mutating func matrix(_ name: String, rows: Int, columns: Int, transposed: Bool) throws(ModelError) -> UMT5Matrix {
        let entry = try check(name, shape: [rows, columns])
        taken.insert(name)
        // Each matrix is copied out of the mapping; its pages are then dropped so that
        // umT5-XXL's 11 GB are resident once, not twice, at the end of loading.
        defer { checkpoint.releasePages(of: name) }
        if entry.dtype == .bf16 || storage == .bfloat16 {
            let bits: [UInt16]
            do { bits = try checkpoint.bfloat16Bits(name) } catch { throw .weights(error) }
            return .bfloat16(try kernel { () throws(TensorError) in try BFloat16Matrix(rows: rows, columns: columns, bits: bits) })
        }
        let weight: Tensor
        do { weight = try checkpoint.tensor(name) } catch { throw .weights(error) }
        return .float32(weight_T: transposed ? try kernel { () throws(TensorError) in try weight.transposed() } : weight)
    }

    /// Marks `name` used without reading it (a tied copy of another tensor).
    mutating func skip(_ name: String, shape: [Int]) throws(ModelError) {
        _ = try check(name, shape: shape)
        taken.insert(name)
    }

    /// Throws when the checkpoint holds tensors the model never asked for.
    func finish() throws(ModelError) {
        let unused = checkpoint.names.subtracting(taken).sorted()
        if !unused.isEmpty { throw .unexpectedTensors(names: unused, files: checkpoint.files) }
    }
}
