import ReelPlan

/// How a statement the core asked for ended, as the I/O layer reports it back.
///
/// libpq cannot always say whether a statement took effect: a connection lost
/// during a COMMIT "may or may not have committed". That answer is ``unknown``,
/// and the core settles it by having the row read again; it never guesses.
enum StoreOutcome: Sendable, Equatable {
    /// The statement ran and changed what was asked.
    case committed
    /// The statement ran and changed nothing: the row was not in the state the
    /// statement required (another lease, already done, already gone).
    case stale
    /// The statement did not run (a read that failed, a refused connection).
    case failed(String)
    /// The statement may or may not have run.
    case unknown(String)

    /// Runs `statement` and says how it ended: `true` committed, `false` stale,
    /// an error unknown (a thrown statement may have committed before its answer
    /// was lost).
    static func of(_ statement: () throws -> Bool) -> StoreOutcome {
        do { return try statement() ? .committed : .stale } catch { return .unknown("\(error)") }
    }
}

/// One work item's row as the database holds it, in the state machines' terms:
/// what memory adopts when the database's answer overrules it.
struct ItemSnapshot: Sendable, Equatable {
    var state: ShardState
    /// The row's `attempt`: the fencing token of its latest lease.
    var token: Int
    /// The holder while leased, the finisher once done.
    var worker: String?
    /// The stored output, once done.
    var outputSHA: String?
}
