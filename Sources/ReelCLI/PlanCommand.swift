import ArgumentParser
import ReelPlan

struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan", abstract: "Show how a job would be sharded into windows, tiles and step blocks.")
}
