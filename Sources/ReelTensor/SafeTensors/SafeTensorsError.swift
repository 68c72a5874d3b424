/// Why a safetensors file or checkpoint could not be read or written. Every case
/// names the file, and the tensor when one is involved.
public enum SafeTensorsError: Error, Equatable, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case malformedHeader(path: String, reason: String)
    case missingTensor(path: String, name: String)
    case unsupportedDType(path: String, name: String, dtype: String)
    case unwritable(path: String, reason: String)

    public var description: String {
        switch self {
        case let .unreadable(path, reason):
            "cannot read '\(path)': \(reason)"
        case let .malformedHeader(path, reason):
            "'\(path)' is not a valid safetensors file: \(reason)"
        case let .missingTensor(path, name):
            "'\(path)' has no tensor named '\(name)'"
        case let .unsupportedDType(path, name, dtype):
            "tensor '\(name)' in '\(path)' has dtype \(dtype); Reel reads F32, F16, BF16 and F64 as float32"
        case let .unwritable(path, reason):
            "cannot write '\(path)': \(reason)"
        }
    }
}
