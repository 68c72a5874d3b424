import ReelTensor

/// How a parameter is initialised when a model is created rather than loaded
/// (PyTorch's defaults, so random models behave like freshly constructed ones).
public enum ParameterInit: Sendable {
    /// `U(−1/√fanIn, 1/√fanIn)`, as `nn.Linear`/`nn.Conv3d` weights and biases.
    case uniformFanIn(Int)
    case ones
    case zeros
    /// `N(0, 1)·scale`, as the `scale_shift_table` parameters.
    case normal(scale: Float)
}

/// Where a model's parameters come from. The model asks for every tensor by its
/// checkpoint name and expected shape, in one place (its initialiser), so loading,
/// shape checking and random initialisation all follow the same list.
public protocol WeightSource {
    mutating func take(_ name: String, shape: [Int], initializer: ParameterInit) throws(ModelError) -> Tensor
}

/// Loads parameters from a checkpoint, checking each shape and, at the end,
/// that nothing in the checkpoint went unused.
public struct CheckpointWeights: WeightSource {
    let checkpoint: Checkpoint
    private(set) var taken = Set<String>()

    public init(_ checkpoint: Checkpoint) { self.checkpoint = checkpoint }

    public mutating func take(_ name: String, shape: [Int], initializer: ParameterInit) throws(ModelError) -> Tensor {
        guard let entry = checkpoint.entry(name) else {
            throw .missingTensor(name: name, expectedShape: shape, files: checkpoint.files)
        }
        guard entry.shape == shape else {
            throw .tensorShape(name: name, expected: shape, actual: entry.shape, file: checkpoint.file(of: name) ?? "?")
        }
        taken.insert(name)
        do { return try checkpoint.tensor(name) } catch { throw .weights(error) }
    }

    /// Throws when the checkpoint holds tensors the model never asked for.
    public func finish() throws(ModelError) {
        let unused = checkpoint.names.subtracting(taken).sorted()
        if !unused.isEmpty { throw .unexpectedTensors(names: unused, files: checkpoint.files) }
    }
}

/// Creates parameters from a seed, recording them in order for saving unless told not to.
public struct RandomWeights: WeightSource {
    var rng: SeededRandom
    let recording: Bool
    public private(set) var created: [(name: String, tensor: Tensor)] = []

    /// - Parameter recording: keep every tensor in ``created`` (to save the model);
    ///   benchmarks that only run it pass false and hold one copy of the weights.
    public init(seed: UInt64, recording: Bool = true) {
        rng = SeededRandom(seed: seed)
        self.recording = recording
    }

    public mutating func take(_ name: String, shape: [Int], initializer: ParameterInit) throws(ModelError) -> Tensor {
        let t: Tensor
        switch initializer {
        case let .uniformFanIn(fanIn):
            let bound = 1 / Float(fanIn).squareRoot()
            t = rng.uniformTensor(shape, -bound, bound)
        case .ones: t = Tensor(zeros: shape, value: 1)
        case .zeros: t = Tensor(zeros: shape)
        case let .normal(scale): t = rng.normalTensor(shape, scale: scale)
        }
        if recording { created.append((name, t)) }
        return t
    }
}

/// Forwards every request to `base` and counts the elements handed out, so a
/// model's parameter count comes from the same list that loads it.
struct CountingWeights<Base: WeightSource>: WeightSource {
    var base: Base
    var elements = 0

    mutating func take(_ name: String, shape: [Int], initializer: ParameterInit) throws(ModelError) -> Tensor {
        let t = try base.take(name, shape: shape, initializer: initializer)
        elements += t.count
        return t
    }
}

/// A linear layer's parameters: `nn.Linear`'s `weight` and `bias`, the weight
/// kept transposed (see ``Linear/Layout/inOut``).
public struct LinearWeights: Sendable {
    public var weight_T: Tensor  // weight (out, in), stored transposed: (in, out)
    public var bias: Tensor  // (out)

    init(_ prefix: String, in inFeatures: Int, out outFeatures: Int, from source: inout some WeightSource) throws(ModelError) {
        let weight = try source.take("\(prefix).weight", shape: [outFeatures, inFeatures], initializer: .uniformFanIn(inFeatures))
        // Once per load, so that every forward's GEMMs read the weight row-major.
        weight_T = try kernel { () throws(TensorError) in try weight.transposed() }
        bias = try source.take("\(prefix).bias", shape: [outFeatures], initializer: .uniformFanIn(inFeatures))
    }

    /// `x · Wᵀ + b` over rows of `x`.
    func callAsFunction(_ x: Tensor) throws(ModelError) -> Tensor {
        try kernel { () throws(TensorError) in try Linear.forward(x, weight: weight_T, layout: .inOut, bias: bias) }
    }
}
