extension JobState.Name {
    /// The moves an invalidation makes (``JobStateMachine/invalidateDecode()``),
    /// which the schema allows only with a recorded invalidation (migration 13:
    /// `jobs.invalidations` goes up by one and a reason is stored).
    public var jobInvalidations: Set<JobState.Name> {
        self == .decoding ? [.running] : []
    }
}
