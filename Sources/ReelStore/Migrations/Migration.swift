import ReelHash
import ReelTensor

/// One numbered schema change. Migrations are append-only: once applied, a
/// migration's SQL must never change (``Migrator`` checks its checksum); fix a
/// schema by adding the next one.
public struct Migration: Sendable, Hashable {
    /// Position in the sequence, from 1, increasing by one.
    public let version: Int
    /// A short name for logs and `reel_schema_migrations.name`.
    public let name: String
    /// The statements, separated by `;` (dollar-quoted bodies may hold `;`).
    public let sql: String

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }

    /// SHA-256 of the SQL text, lowercase hex: what an applied migration is compared by.
    public var checksum: String { SHA256.hex(SHA256.hash(Array(sql.utf8))) }

    /// Reel's farm schema, oldest first.
    public static let farm: [Migration] = [
        .farmSchema,
        .stateTransitions,
        .workerStates,
        .resultRetention,
        .promptEncodings,
        .poolsAndQuarantine,
        .apiTokens,
        .idempotencyKeys,
        .workItemTimes,
        .segmentPreviews,
        .shardInvalidation,
        .sourceEncodings,
        .decodeInvalidation,
        .timelinePromptEncodings,
    ]
}
