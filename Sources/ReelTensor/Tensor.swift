/// A contiguous, row-major (C order) float32 tensor with value semantics.
///
/// Everything the engine computes is float32; half-precision checkpoints are
/// widened on load (see ``SafeTensorsFile``). Storage is a Swift array, so
/// copies are copy-on-write and a tensor can cross threads freely.
public struct Tensor: Sendable, Equatable {
    /// The extent of each axis, outermost first.
    public private(set) var shape: [Int]
    /// The elements in C order; `storage.count == shape.product`.
    public var storage: [Float]

    /// A tensor of `shape` filled with `value`.
    public init(zeros shape: [Int], value: Float = 0) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative extent in shape \(shape)")
        self.shape = shape
        self.storage = [Float](repeating: value, count: shape.reduce(1, *))
    }

    /// Wraps `storage` as a tensor of `shape`; throws when the element count differs.
    ///
    /// Shapes arrive from files and peers, so the product is computed with overflow
    /// checks: in the `-Ounchecked` kernel modules an overflowing `reduce(1, *)` would
    /// not trap but wrap, and a wrapped count could match a small storage.
    public init(shape: [Int], storage: [Float]) throws(TensorError) {
        guard let count = Self.elementCount(of: shape) else {
            throw .invalidArgument("shape \(shape) has a negative extent or more than Int.max elements")
        }
        guard count == storage.count else {
            throw .shapeMismatch(
                what: "storage", expected: shape, actual: [storage.count])
        }
        self.shape = shape
        self.storage = storage
    }

    /// The number of elements in `shape`, or nil when an extent is negative or the
    /// product does not fit in an `Int`. An extent of 0 does not hide the others: a
    /// shape like `[0, 2⁶², 2⁶²]` is refused, because code that multiplies some of its
    /// extents (a plane, a row) would overflow.
    public static func elementCount(of shape: [Int]) -> Int? {
        var bound = 1, overflow = false
        for extent in shape {
            guard extent >= 0 else { return nil }
            (bound, overflow) = bound.multipliedReportingOverflow(by: max(extent, 1))
            if overflow { return nil }
        }
        return shape.contains(0) ? 0 : bound
    }

    /// Number of elements.
    public var count: Int { storage.count }
    /// Number of axes.
    public var rank: Int { shape.count }

    /// The same elements viewed with another shape of equal element count.
    public func reshaped(_ newShape: [Int]) throws(TensorError) -> Tensor {
        try Tensor(shape: newShape, storage: storage)
    }

    /// The sub-tensor at `index` along the first axis (a copy).
    public func slice(_ index: Int) -> Tensor {
        precondition(rank >= 1 && index >= 0 && index < shape[0], "slice \(index) out of \(shape)")
        let inner = Array(shape.dropFirst())
        let n = inner.reduce(1, *)
        return Tensor(uncheckedShape: inner, storage: Array(storage[index * n ..< (index + 1) * n]))
    }

    /// Stacks equally shaped tensors along a new first axis.
    public static func stack(_ parts: [Tensor]) throws(TensorError) -> Tensor {
        guard let first = parts.first else { throw .invalidArgument("cannot stack zero tensors") }
        var storage = [Float]()
        storage.reserveCapacity(first.count * parts.count)
        for (i, part) in parts.enumerated() {
            guard part.shape == first.shape else {
                throw .shapeMismatch(what: "stack element \(i)", expected: first.shape, actual: part.shape)
            }
            storage.append(contentsOf: part.storage)
        }
        return Tensor(uncheckedShape: [parts.count] + first.shape, storage: storage)
    }

    /// Largest absolute element; 0 for an empty tensor.
    public var maxAbs: Float { storage.reduce(0) { max($0, abs($1)) } }

    /// Whether every element is finite (no NaN or ±Inf).
    public var isFinite: Bool { storage.allSatisfy { $0.isFinite } }

    /// Largest |self − other|, or +Inf when shapes differ.
    public func maxAbsDifference(_ other: Tensor) -> Float {
        guard shape == other.shape else { return .infinity }
        var m: Float = 0
        for i in 0 ..< count { m = max(m, abs(storage[i] - other.storage[i])) }
        return m
    }

    /// A tensor whose every element the caller overwrites before reading — GEMM
    /// outputs with `beta = 0` — so zero-filling it would be wasted bandwidth.
    static func uninitialized(_ shape: [Int]) -> Tensor {
        let n = shape.reduce(1, *)
        return Tensor(uncheckedShape: shape, storage: [Float](unsafeUninitializedCapacity: n) { _, count in count = n })
    }

    /// `body` with the storage of `tensor`, or nil for no tensor: optional operands
    /// (a bias, a norm's affine weights) passed down to kernels as pointers.
    static func withStorage<R>(of tensor: Tensor?, _ body: (UnsafePointer<Float>?) -> R) -> R {
        guard let tensor else { return body(nil) }
        return tensor.storage.withUnsafeBufferPointer { body($0.baseAddress) }
    }

    init(uncheckedShape shape: [Int], storage: [Float]) {
        self.shape = shape
        self.storage = storage
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String { "Tensor\(shape)" }
}
