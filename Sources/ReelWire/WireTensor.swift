import Foundation
import ReelTensor

/// A float32 tensor as it travels: a name, a C-order shape, and values that are
/// sent as little-endian IEEE-754 bytes in a frame of their own.
///
/// The tensor holds those bytes, not a `[Float]`: at 832×480 a shard's latents are
/// 8 MB, and the coordinator forwards, checks and stores them without ever needing
/// them as numbers, so each conversion would be a copy (and fresh pages) for
/// nothing. ``values`` converts when a caller does need numbers.
public struct WireTensor: Sendable, Equatable {
    /// Matches the `name` of the ``Reel_V1_TensorHeader`` describing it.
    public let name: String
    /// Dimensions, outermost first; rank 1 to ``WireProtocol/maxTensorRank``, all ≥ 1.
    public let shape: [Int]
    /// The values as little-endian float32 bytes, as they go on the wire: product(shape) × 4.
    public let littleEndianBytes: Data

    /// A tensor; throws ``WireError/invalidTensor(name:reason:)`` when the shape is
    /// not a valid wire shape or `values` does not fill it exactly.
    public init(name: String, shape: [Int], values: [Float]) throws(WireError) {
        #if _endian(little)
        let bytes = values.withUnsafeBytes { Data($0) }
        #else
        let bytes = Data(LittleEndianFloats.bytes(values))
        #endif
        try self.init(name: name, shape: shape, littleEndianBytes: bytes)
    }

    /// A tensor from its little-endian float32 bytes (no copy); throws
    /// ``WireError/invalidTensor(name:reason:)`` when the shape is not a valid wire
    /// shape or the bytes do not fill it exactly.
    public init(name: String, shape: [Int], littleEndianBytes bytes: Data) throws(WireError) {
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
        guard count * 4 == UInt64(bytes.count) else {
            throw .invalidTensor(name: name, reason: "shape \(shape) holds \(count) values, got \(bytes.count) bytes")
        }
        self.init(name: name, checkedShape: shape, littleEndianBytes: bytes)
    }

    /// A tensor whose shape the codec has already checked against `bytes`.
    init(name: String, checkedShape: [Int], littleEndianBytes bytes: Data) {
        self.name = name
        self.shape = checkedShape
        self.littleEndianBytes = bytes
    }

    /// product(shape) values in C order (a copy of the bytes, converted).
    public var values: [Float] { littleEndianBytes.withUnsafeBytes { LittleEndianFloats.values($0) } }

    /// Whether every value is finite (no NaN or infinity), read from the bytes.
    public var isFinite: Bool { littleEndianBytes.withUnsafeBytes { LittleEndianFloats.allFinite($0) } }

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
