import ReelTensor
import ReelText

/// Why a model folder could not be loaded or run. Each case names the file,
/// tensor or option involved and what was expected.
public enum ModelError: Error, Equatable, CustomStringConvertible {
    case missingFolder(path: String)
    case missingFile(path: String, hint: String)
    case invalidConfig(path: String, key: String, reason: String)
    case unsupportedOption(path: String, key: String, value: String, supported: String)
    case missingTensor(name: String, expectedShape: [Int], files: [String])
    case unexpectedTensors(names: [String], files: [String])
    case tensorShape(name: String, expected: [Int], actual: [Int], file: String)
    case inputShape(name: String, expected: String, actual: [Int])
    case weights(SafeTensorsError)
    case tensor(TensorError)
    /// The prompt or the tokenizer (see ``TextError``).
    case text(TextError)
    /// The caller asked the sampler to stop; `step` is the first step not run.
    case cancelled(step: Int)

    public var description: String {
        switch self {
        case let .missingFolder(path):
            "model folder '\(path)' does not exist; create one with `reel model init --preset tiny --out \(path)`"
        case let .missingFile(path, hint):
            "'\(path)' is missing: \(hint)"
        case let .invalidConfig(path, key, reason):
            "'\(path)': key '\(key)' \(reason)"
        case let .unsupportedOption(path, key, value, supported):
            "'\(path)': \(key) = \(value) is not supported (\(supported))"
        case let .missingTensor(name, shape, files):
            "tensor '\(name)' (expected shape \(shape)) is missing from \(files.joined(separator: ", "))"
        case let .unexpectedTensors(names, files):
            "\(files.joined(separator: ", ")) has \(names.count) tensor(s) the model does not use: \(names.prefix(8).joined(separator: ", "))\(names.count > 8 ? ", …" : "")"
        case let .tensorShape(name, expected, actual, file):
            "tensor '\(name)' in '\(file)' has shape \(actual), expected \(expected)"
        case let .inputShape(name, expected, actual):
            "input '\(name)' has shape \(actual), expected \(expected)"
        case let .cancelled(step):
            "sampling was cancelled before step \(step)"
        case let .weights(error):
            error.description
        case let .tensor(error):
            error.description
        case let .text(error):
            error.description
        }
    }
}
