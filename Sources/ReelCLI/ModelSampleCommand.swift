import ArgumentParser
import ReelModel
import ReelTensor

struct ModelSampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample",
        abstract: "Denoise latents with the flow-matching Euler sampler.",
        discussion: """
            IN holds noise [B,C,F,H,W], prompt_embeds [B,L,D] and optionally negative_prompt_embeds \
            [B,L,D] (classifier-free guidance runs only when they are given); OUT receives latents.
            """)

    @OptionGroup var io: ModelIOOptions
    @Option(help: "Number of sampling steps in the schedule.")
    var steps: Int
    @Option(help: "Classifier-free guidance scale.")
    var guidance: Float = 5
    @Option(help: "Flow shift (default: the scheduler config's).")
    var shift: Double?
    @Option(help: "Run only steps [FROM, TO) of the schedule, as FROM:TO (for checking step blocks).")
    var block: String?
    @OptionGroup var compute: ComputeOptions

    func validate() throws {
        guard steps >= 1 else { throw ValidationError("--steps must be at least 1, got \(steps)") }
        if let shift, !(shift > 0) { throw ValidationError("--shift must be positive, got \(shift)") }
        if let block { _ = try parseBlock(block) }
    }

    func parseBlock(_ text: String) throws -> Range<Int> {
        let parts = text.split(separator: ":").map { Int($0) }
        guard parts.count == 2, let a = parts[0], let b = parts[1], a >= 0, a < b, b <= steps else {
            throw ValidationError("--block must be FROM:TO with 0 ≤ FROM < TO ≤ \(steps), got '\(text)'")
        }
        return a ..< b
    }

    func run() throws {
        try compute.apply {
            let range = try block.map(parseBlock)
            try ModelFolder(path: io.folder).runSampler(
                inputs: io.inputs, output: io.output, steps: steps, guidance: guidance, shift: shift, range: range
            ) { sample, step in
                printErr("sample \(sample) step \(step + 1)/\(steps)")
            }
            printErr("wrote latents to \(io.output)")
        }
    }
}
