import ReelPlan

/// A prompt timeline whose later prompts a worker encoded: the job's timeline is
/// built once the encoding is committed (or found committed by the reconciler),
/// from the blobs of the prompts it encoded.
extension CoordinatorCore {
    /// Gives job `id` its timeline from the encoded later prompts `texts` and their
    /// blobs `shas` (``JobTimeline/laterSHAs(of:promptSHA:texts:shas:)``). Nothing
    /// for a job without a timeline. Blobs that do not cover the timeline fail the
    /// job rather than render it without its later prompts.
    mutating func adoptEncodedTimeline(_ id: Int64, texts: [String], shas: [String]) -> [CoordinatorAction] {
        guard let job = jobs[id], job.request.prompts != nil, job.timeline == nil else { return [] }
        do {
            guard let later = JobTimeline.laterSHAs(of: job.request, promptSHA: job.promptSHA, texts: texts, shas: shas) else {
                throw PlanError.invalidTimeline("\(shas.count) encoded later prompts for the \(texts.count) asked for")
            }
            jobs[id]?.timeline = try JobTimeline(request: job.request, plan: job.plan, laterSHAs: later)
            return []
        } catch {
            return failJob(id, reason: "its prompt timeline's encoded prompts do not fit it: \(error)")
        }
    }
}
