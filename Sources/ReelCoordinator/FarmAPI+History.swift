import ReelStore

extension FarmAPI.History {
    /// The store's milliseconds as the API's seconds.
    init(_ history: JobHistory) {
        let seconds = { (milliseconds: Int64) in Double(milliseconds) / 1000 }
        self.init(
            queueSeconds: history.queueMilliseconds.map(seconds), renderSeconds: history.renderMilliseconds.map(seconds),
            decodeSeconds: history.decodeMilliseconds.map(seconds), retries: history.retries, workersUsed: history.workersUsed,
            computeSeconds: seconds(history.computeMilliseconds))
    }
}
