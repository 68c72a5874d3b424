import ReelPlan

extension AdmittedJob {
    /// Checks a request's conditioning items against its plan, so a bad item gets
    /// ``ConditioningPlan``'s message (the item, the value, what is valid); `nil`
    /// for a job without conditioning. Whether the sources were uploaded is the
    /// coordinator's to check (``Coordinator/checkSourcesUploaded(_:)``): it needs
    /// the blob store, and this value is built from the request alone.
    static func checkConditioning(_ request: JobRequest, plan: Plan) throws(APIError) -> ConditioningPlan? {
        guard let items = request.conditioning, !items.isEmpty else { return nil }
        do { return try ConditioningPlan(plan: plan, items: items) } catch { throw .badRequest(error.description) }
    }
}
