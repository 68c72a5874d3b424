import ReelPlan

extension AdmittedJob {
    /// Checks a request's conditioning items against its plan, so a bad item gets
    /// ``ConditioningPlan``'s message (the item, the value, what is valid); then refuses
    /// any conditioning, because workers do not encode sources yet (issue #16 part 1,
    /// item 2): a job must not be accepted and silently rendered as text-to-video.
    static func checkConditioning(_ request: JobRequest, plan: Plan) throws(APIError) {
        guard let items = request.conditioning, !items.isEmpty else { return }
        do { _ = try ConditioningPlan(plan: plan, items: items) } catch { throw .badRequest(error.description) }
        throw .badRequest(
            "conditioning items (image, extend, connect, keyframe, edit) are valid but not rendered yet: "
                + "this coordinator's workers do not encode sources yet; submit without conditioning")
    }
}
