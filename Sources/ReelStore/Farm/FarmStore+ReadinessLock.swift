/// The per-job lock that orders shard readiness against shard resets.
///
/// Under READ COMMITTED, an invalidation reads its cone's rows when its reset
/// starts: a reader of a disproved input that is still `pending` then is not
/// taken. A readiness check on another connection (the coordinator's loop makes
/// shards ready while the `records` lane resets others) that runs before the
/// reset commits still reads the input as `done`, and readies the reader. Both
/// commit: a ready shard whose input is being computed again (a write skew). A
/// claim then either blends the disproved output into it, which the reset never
/// undoes, or finds no output at all ("cannot build the input of shard r0/b1",
/// seen in CI). Taking this lock first in both transactions makes the later one
/// see the earlier one's commit.
extension FarmStore {
    /// The class of the two-key advisory lock (`pg_advisory_xact_lock(int, int)`,
    /// a key space of its own beside the coordinator's and the migrator's bigint
    /// locks): "RDY" in ASCII; the second key is the job's id.
    public static let readinessLockClass: Int32 = 0x52_44_59

    /// Takes `job`'s readiness lock until the current transaction ends. Outside a
    /// transaction it would be released at once: callers wrap it in one.
    func lockReadiness(job: Int64) throws(StoreError) {
        try connection.execute(
            "SELECT pg_advisory_xact_lock($1::integer, $2::integer)",
            [.int64(Int64(Self.readinessLockClass)), .int64(job & 0x7fff_ffff)], name: "readiness lock")
    }
}
