/// Why the core asks the database to make pending shards ready, so that the answer
/// is logged for what it is: a repair deserves an operator's attention, normal
/// flow does not.
enum ReadinessCause: Sendable, Equatable {
    /// Recovery or the reconciler found pending shards whose inputs were all done.
    case repair
    /// A check on an input agreed (or a ballot settled) after the result that
    /// would have readied its dependents had committed.
    case inputsSettled
}
