/// Where a worker is in its life; the labels of the `reel_worker_state` enum
/// (migration 3 dropped `draining`, which nothing entered: a worker drains on its
/// own and says goodbye).
public enum WorkerStateName: String, Hashable, Sendable, CaseIterable, Codable, PostgresDecodable {
    /// Registered and heartbeating; gets work.
    case active
    /// Stopped heartbeating; its leases were released.
    case lost
    /// Deregistered on purpose.
    case gone

    public static var postgresTypeDescription: String { "a reel_worker_state label" }
    public init?(postgresText: String) { self.init(rawValue: postgresText) }
}
