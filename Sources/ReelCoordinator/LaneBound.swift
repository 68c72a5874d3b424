/// A value that only one off-loop lane's thread uses (the `records` lane's
/// database connection). Not thread-safe itself: the lane's serial order is what
/// makes handing it to that lane's closures sound.
struct LaneBound<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
