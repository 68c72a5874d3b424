import ReelPlan

extension CoordinatorCore {
    /// A resumed job's conditioning: the items placed again from the stored
    /// request, and each source encoding as its row holds it (a lease held at the
    /// crash stays a lease in memory, which expires and is requeued like any
    /// other; a done one keeps its latents' blob).
    func resumeSources(_ job: inout JobRuntime, stored: JobSnapshot) throws {
        guard let items = job.request.conditioning, !items.isEmpty else { return }
        do { job.conditioning = try ConditioningPlan(plan: job.plan, items: items) } catch {
            throw CoordinatorError.storedJob(id: stored.id, reason: "its conditioning: \(error)")
        }
        let count = job.conditioning?.items.count ?? 0
        // A decoding or finished job needs no encodings; a running one has one row per item.
        guard stored.state.name == .running || !stored.sources.isEmpty else { return }
        guard stored.sources.keys.sorted() == Array(0 ..< count) else {
            throw CoordinatorError.storedJob(
                id: stored.id, reason: "source encodings \(stored.sources.keys.sorted()) for \(count) conditioning items")
        }
        for (index, row) in stored.sources {
            job.sources[index] = SourceEncodingProgress(
                machine: ShardStateMachine(state: row.state, policy: config.policy), token: row.token,
                latentsSHA: row.state.name == .done ? row.outputSHA : nil)
        }
    }
}
