extension StepSchedule {
    /// The first step an SDEdit of `strength` runs, out of `steps`: diffusers'
    /// img2img rule, `steps − int(steps · strength)` (`get_timesteps`), so strength 1
    /// runs every step from pure noise and strength 0.3 of 50 steps runs the last 15,
    /// starting at σ of step 35. Unlike diffusers, at least one step always runs
    /// (a strength below `1/steps` would otherwise return the source untouched).
    ///
    /// The source is noised to `σ[firstStep]` (``ConditioningPlan`` and the worker
    /// agree on this through this one function).
    public static func firstStep(strength: Double, steps: Int) -> Int {
        let rerun = min(Int(Double(steps) * strength), steps)
        return steps - max(rerun, 1)
    }
}
