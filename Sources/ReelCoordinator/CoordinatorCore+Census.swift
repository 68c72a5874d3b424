import ReelPlan

/// What `/metrics` reads of the loop's state: counted on a scrape, never kept up
/// on the loop's hot path.
extension CoordinatorCore {
    /// The running jobs' shards and chunks by state, the ready items per model
    /// (the queue a worker of that model would take from), and the connected
    /// workers' occupancy.
    func census() -> LoopCensus {
        var census = LoopCensus()
        for job in jobs.values {
            var ready = 0
            for record in job.shards.values {
                let state = record.machine.state.name
                census.shards[state, default: 0] += 1
                if state == .ready { ready += 1 }
            }
            for machine in job.decode?.machines ?? [] {
                let state = machine.state.name
                census.chunks[state, default: 0] += 1
                if state == .ready { ready += 1 }
            }
            census.queueDepth[LoopCensus.Queue(model: job.request.model, pool: job.request.pool ?? FarmMetrics.defaultPool), default: 0] += ready
        }
        for worker in workers.values {
            census.connectedWorkers += 1
            let used = worker.running.count + worker.staleBusy
            if used > 0 { census.busyWorkers += 1 }
            census.slots += worker.slots
            census.slotsUsed += used
        }
        return census
    }
}
