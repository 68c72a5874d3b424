extension ConditioningPlan {
    /// Holds ``ConditioningItem/join`` to what the output can hold: one pinned video,
    /// without a box, whose frames open the clip (the source goes before it) or close
    /// it (after it), in a clip that does not loop (a looping clip has no start to put
    /// the source before).
    static func checkJoins(_ placed: [(number: Int, resolved: ResolvedConditioning)], plan: Plan) throws(ConditioningError) {
        let joins = placed.filter { $0.resolved.item.join == true }
        for join in joins {
            let item = join.resolved.item, frames = join.resolved.box.frames
            if let first = joins.first, first.number != join.number, first.resolved != join.resolved {
                throw .badJoin(item: join.number, why: "is the second: item \(first.number) already joins its source, and an output holds one")
            }
            guard item.source.kind == .video, item.mode == .pin, item.box == nil else {
                throw .badJoin(item: join.number, why: "needs a pinned video filling the frame (no box, no edit, not an image)")
            }
            guard frames.start == 0 || frames.start + frames.length == plan.latent.frames else {
                throw .badJoin(
                    item: join.number,
                    why: "needs the video's frames at the clip's start (frame 0) or end; they cover latent frames "
                        + "\(frames.start)..<\(frames.start + frames.length) of 0..<\(plan.latent.frames)")
            }
            guard !plan.config.loop else { throw .badJoin(item: join.number, why: "cannot apply to a looping clip, which has no start or end") }
        }
    }
}
