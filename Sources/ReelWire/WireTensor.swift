import Foundation
import ReelTensor

/// A float32 tensor as it travels: a name, a C-order shape, and values that are
/// sent as little-endian IEEE-754 bytes in a frame of their own.
public struct WireTensor: Sendable, Equatable {
    /// Matches the `name` of the ``Reel_V1_TensorHeader`` describing it.
    public let name: String
    /// Dimensions, outermost first; rank 1 to ``WireProtocol/maxTensorRank``, all ≥ 1.
    public let shape: [Int]
    /// product(shape) values in C order.
    public let values: [Float]

    /// A tensor; throws ``WireError/invalidTensor(name:reason:)`` when the shape is
    /// not a valid wire shape or `values` does not fill it exactly.
    public init(name: String, shape: [Int], values: [Float]) throws(WireError) {
        guard shape.allSatisfy({ $0 >= 1 }) else {
            throw .invalidTensor(name: name, reason: "shape \(shape) has a dimension below 1")
        }
        let wireShape = shape.map { UInt64($0) }
        let count: UInt64
        do {
            count = try Self.elementCount(wireShape, tensor: name, maxElements: UInt64(Int.max / 4))
        } catch {
            throw .invalidTensor(name: name, reason: error.description)
        }
        guard count == UInt64(values.count) else {
            throw .invalidTensor(name: name, reason: "shape \(shape) holds \(count) values, got \(values.count)")
        }
        self.name = name
        self.shape = shape
        self.values = values
    }

    /// A tensor whose shape the codec has already checked against `bytes`.
    init(name: String, checkedShape: [Int], littleEndianBytes bytes: Data) {
        self.name = name
        self.shape = checkedShape
        self.values = bytes.withUnsafeBytes { LittleEndianFloats.values($0) }
    }

    /// The values as little-endian float32 bytes, as they go on the wire.
    public var littleEndianBytes: Data { Data(LittleEndianFloats.bytes(values)) }

    /// Elements in `shape`, checked without overflow: rank 1...``WireProtocol/maxTensorRank``,
    /// every dimension ≥ 1, and at most `maxElements` in all.
    static func elementCount(_ shape: [UInt64], tensor: String, maxElements: UInt64) throws(WireError) -> UInt64 {
        guard (1...WireProtocol.maxTensorRank).contains(shape.count) else {
            throw .invalidShape(
                tensor: tensor, shape: shape, reason: "rank \(shape.count), expected 1...\(WireProtocol.maxTensorRank)")
        }
        var count: UInt64 = 1
        for (axis, dimension) in shape.enumerated() {
            guard dimension >= 1 else {
                throw .invalidShape(tensor: tensor, shape: shape, reason: "dimension \(axis) is 0")
            }
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            guard !overflow, product <= maxElements else {
                throw .invalidShape(
                    tensor: tensor, shape: shape, reason: "more than \(maxElements) elements (the size limit)")
            }
            count = product
        }
        return count
    }
}
