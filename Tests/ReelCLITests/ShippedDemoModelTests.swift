import Foundation
import ReelPlan
import Testing
@testable import ReelCLI

/// Issue #12, item 5, on the model that ships (`Models/demo`), rendered by the farm
/// `reel demo` runs (embedded PostgreSQL, the coordinator, worker processes):
/// ten prompts of the grammar that the README's figures do not use, 10 s each (161
/// frames, 3 windows of 61 frames) with `reel demo`'s settings, measured by the
/// same detector and seam metric as `reel demo`'s measure line; with them the 30 s
/// demo clip (`reel demo`'s defaults), whose seam metric must be at most 1.1. Then
/// the first clip again on one worker: the same `latents_sha256`.
@Suite(.serialized) struct ShippedDemoModelTests {
    static let prompts = [
        "a blue ball moving rightwards on a black background",
        "a red triangle moving upwards on a charcoal background",
        "a white square moving leftwards on a plum background",
        "a yellow triangle moving downwards on a navy background",
        "a purple square moving rightwards on a pine background",
        "a green triangle bouncing rightwards on a maroon background",
        "an orange ball orbiting clockwise on a black background",
        "a cyan square moving upwards on a charcoal background",
        "a large blue triangle moving leftwards slowly on a black background",
        "a small white ball moving downwards quickly on a navy to plum gradient",
    ]

    /// The `reel` binary beside this test bundle (the workers run it).
    static var reelBinary: String {
        var url = Bundle.main.bundleURL
        while url.path != "/", !FileManager.default.isExecutableFile(atPath: url.appendingPathComponent("reel").path) { url.deleteLastPathComponent() }
        return url.appendingPathComponent("reel").path
    }

    @Test func tenPromptsShowTheirColourAndDirectionWithoutSeamsOnAnyNumberOfWorkers() async throws {
        let dir = NSTemporaryDirectory() + "reel-shipped-demo-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let models = dir + "/models"
        let shipped = try DemoModel.shippedFolder()
        #expect(try DemoModel.prepare(in: models) == DemoModel.name, "the shipped folder \(shipped) is installed, not the tiny fallback")
        let folder = models + "/" + DemoModel.name
        let palette = try #require(DemoQuality.palette(folder: folder), "grammar.json has the palette")
        let colours = try #require(DemoModel.objectColours(folder: folder))
        let demo = try DemoCommand.parse(["--seconds", "10"])
        let defaults = try DemoCommand.parse([])
        var jobs = Self.prompts.enumerated().map { index, prompt in
            (
                request: JobRequest(
                    name: "shipped-\(index)", model: DemoModel.name, prompt: prompt, negativePrompt: "", seconds: demo.seconds, fps: 16,
                    width: 64, height: 64, seed: demo.seed, guidance: demo.guidance, plan: demo.planConfig),
                output: "\(dir)/clip-\(index).mp4"
            )
        }
        jobs.append((
            request: JobRequest(
                name: "shipped-demo", model: DemoModel.name, prompt: defaults.prompt, negativePrompt: "", seconds: defaults.seconds, fps: 16,
                width: 64, height: 64, seed: defaults.seed, guidance: defaults.guidance, plan: defaults.planConfig),
            output: "\(dir)/demo.mp4"
        ))
        let rendered = try await DemoFarm(dir: dir + "/two", models: models, workers: 2, executable: Self.reelBinary).render(jobs, announce: false)
        #expect(rendered.workersSeen == 2)

        var (colourFrames, frames, directionWindows, windows) = (0.0, 0, 0.0, 0)
        var (seams, matchedSeams) = ([Double](), [Double]())
        for job in jobs.dropLast() {
            let config = demo.planConfig
            let quality = try DemoQuality.measure(
                video: job.output, prompt: job.request.prompt ?? "", palette: palette, objectColours: colours,
                plan: { geometry in try Plan(geometry: geometry, config: config) })
            print("\(job.request.prompt ?? ""): \(quality.summary)")
            colourFrames += quality.adherence.colourRate * Double(quality.frames)
            frames += quality.frames
            directionWindows += quality.adherence.directionRate * Double(quality.adherence.windows)
            windows += quality.adherence.windows
            seams.append(try #require(quality.seam, "a 10 s clip has window boundaries").ratio)
            matchedSeams.append(try #require(quality.latentMatchedSeam).ratio)
        }
        let config = defaults.planConfig
        let clip = try DemoQuality.measure(
            video: "\(dir)/demo.mp4", prompt: defaults.prompt, palette: palette, objectColours: colours,
            plan: { geometry in try Plan(geometry: geometry, config: config) })
        print("the 30 s demo clip: \(clip.summary)")
        #expect(clip.frames == 481)
        #expect(try #require(clip.seam).ratio <= 1.1, "the demo clip's seam metric")
        let meanSeam = seams.reduce(0, +) / Double(seams.count)
        let meanMatched = matchedSeams.reduce(0, +) / Double(matchedSeams.count)
        print(String(format: "seam metric over the ten prompts: mean %.3f, largest %.3f; against the other pairs between latent frames: mean %.3f, largest %.3f", meanSeam, seams.max() ?? 0, meanMatched, matchedSeams.max() ?? 0))
        // The windows' boundaries fall between latent frames, whose pairs differ more than
        // those inside one even without a seam; compared with their own kind they are no seam.
        #expect(meanMatched <= 1.1)
        #expect(try #require(clip.latentMatchedSeam).ratio <= 1.1, "the demo clip against its other pairs between latent frames")
        print(String(format: "shipped demo model over %d prompts: colour in %.1f %% of frames, direction in %.0f of %d windows", jobs.count - 1, 100 * colourFrames / Double(frames), directionWindows, windows))
        #expect(colourFrames / Double(frames) >= 0.9, "the prompted colour in at least 90 % of frames")
        #expect(directionWindows / Double(windows) >= 0.8, "the prompted direction in at least 80 % of windows")

        let single = try await DemoFarm(dir: dir + "/one", models: models, workers: 1, executable: Self.reelBinary)
            .render([(jobs[0].request, "\(dir)/single.mp4")], announce: false)
        let two = try #require(rendered.jobs.first?.latentsSha256)
        #expect(single.jobs.first?.latentsSha256 == two, "one worker renders the latents two did")
    }
}
