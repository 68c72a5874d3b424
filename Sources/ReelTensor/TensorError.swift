/// A failure in tensor arithmetic or tensor I/O, with enough context to act on.
public enum TensorError: Error, Equatable, CustomStringConvertible {
    /// A tensor (named by `what`) had `actual` where `expected` was required.
    case shapeMismatch(what: String, expected: [Int], actual: [Int])
    /// An argument outside what the operation supports.
    case invalidArgument(String)

    public var description: String {
        switch self {
        case let .shapeMismatch(what, expected, actual):
            "\(what) has shape \(actual), expected \(expected)"
        case let .invalidArgument(message):
            message
        }
    }
}
