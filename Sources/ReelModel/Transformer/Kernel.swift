import ReelTensor

/// Runs tensor kernels inside model code, turning their shape errors into
/// ``ModelError`` so one error type crosses the model API.
@inline(__always)
func kernel<T>(_ body: () throws(TensorError) -> T) throws(ModelError) -> T {
    do { return try body() } catch { throw .tensor(error) }
}
