import Foundation

extension Worker {
    /// The comma-separated test faults in `REEL_TEST_FAULTS`. Test faults are for
    /// the farm's tests only; none is a mode of operation.
    static var testFaults: Set<String> {
        Set((ProcessInfo.processInfo.environment[TestFaultPoisoningExecutor.environmentKey] ?? "").split(separator: ",").map(String.init))
    }
}
