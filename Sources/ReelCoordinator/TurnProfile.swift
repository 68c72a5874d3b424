/// Where one turn of the event loop spent its time, phase by phase, in wall and
/// in CPU time. A slow turn whose CPU time is small was waiting (for PostgreSQL,
/// a lock, or a core on a busy machine) rather than working, which is what an
/// operator needs to know to fix it; the loop logs the breakdown of any turn
/// over ``slow``.
struct TurnProfile {
    /// A turn longer than this is logged with its phases.
    static let slow: Duration = .milliseconds(100)

    struct Phase {
        let name: String
        let wall: Duration
        let cpu: Duration
    }

    private var lastWall: ContinuousClock.Instant
    private var lastCPU: Duration
    private(set) var phases: [Phase] = []

    init() {
        lastWall = .now
        lastCPU = CPUTime.thread
    }

    /// Ends the phase called `name` (it began at the previous mark); a name marked
    /// again adds to its phase (receiving and handling alternate).
    mutating func mark(_ name: String) {
        let wall = ContinuousClock.now, cpu = CPUTime.thread
        if let index = phases.firstIndex(where: { $0.name == name }) {
            let phase = phases[index]
            phases[index] = Phase(name: name, wall: phase.wall + (wall - lastWall), cpu: phase.cpu + (cpu - lastCPU))
        } else {
            phases.append(Phase(name: name, wall: wall - lastWall, cpu: cpu - lastCPU))
        }
        lastWall = wall
        lastCPU = cpu
    }

    var wall: Duration { phases.reduce(.zero) { $0 + $1.wall } }

    /// `receive 4 ms (cpu 1), dispatch 180 ms (cpu 2)`: the phases of a millisecond or more.
    var summary: String {
        phases.filter { $0.wall >= .milliseconds(1) }
            .map { "\($0.name) \($0.wall.milliseconds) ms (cpu \($0.cpu.milliseconds))" }
            .joined(separator: ", ")
    }
}
