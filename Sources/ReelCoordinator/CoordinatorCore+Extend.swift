import ReelPlan

extension CoordinatorCore {
    /// What job `request`'s output holds besides the clip: the source of its `join`
    /// item (``JobRequest/sourceJoin(temporalStride:)``), encoded as the workers
    /// encode segments; nil for a clip alone, and for a still (one frame, a PNG).
    func extendJoin(_ request: JobRequest, plan: Plan) -> ExtendJoin? {
        guard !request.isStill, let join = request.sourceJoin(temporalStride: plan.geometry.model.temporalStride) else { return nil }
        return ExtendJoin(join: join, crf: config.crf, preset: config.preset)
    }
}
