import ArgumentParser
import Foundation
import ReelCoordinator
import ReelPlan
import ReelTensor

struct SubmitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit",
        abstract: "Submit a long-video job; prints the job id (the only line on stdout).",
        discussion: """
            Give the job as flags, or as a JSON job file (the same fields, snake_case: \
            {"model": "tiny", "prompt": "…", "seconds": 10, "plan": {"window": 13, …}}). \
            A job file's conditioning item may name its source by "file" (relative to the \
            job file) instead of "digest". Conditioning sources the coordinator lacks are \
            uploaded before the job. With --wait, shows progress on stderr and exits \
            non-zero if the job fails.
            """)

    @Argument(help: "A JSON job file (instead of the flags).")
    var jobFile: String?

    @OptionGroup var coordinator: CoordinatorAddress
    @OptionGroup var job: JobOptions
    @OptionGroup(title: "Conditioning (each file is checked, uploaded once by its SHA-256, then named in the job)")
    var conditioning: ConditioningOptions

    @Option(help: "Prompt text: encoded by a worker with the model's text encoder, or, for a model without one, by the built-in stand-in embedder.")
    var prompt: String?
    @Option(help: "safetensors file with real text-encoder outputs: `prompt_embeds` (L, D) or (1, L, D).")
    var promptEmbeds: String?
    @Option(help: "Negative prompt text.")
    var negativePrompt: String?
    @Option(help: "safetensors file with `negative_prompt_embeds` (or `prompt_embeds`).")
    var negativePromptEmbeds: String?
    @Option(
        name: .customLong("prompt-at"),
        help: "SECONDS:TEXT, repeatable, in time order: a prompt timeline; each window is conditioned on the weighted mix of the prompts over its span (`reel plan --prompt-at` shows the weights). --prompt, if given, is the prompt before the first.")
    var promptAt: [TimedPromptArgument] = []
    @Option(help: "Noise seed.")
    var seed: UInt64 = 0
    @Option(help: "Flow shift (default: the model's scheduler config).")
    var shift: Double?
    @Option(help: "Higher runs first.")
    var priority: Int = 0
    @Option(help: "A label for listings.")
    var name: String?
    @Option(help: "Run only on workers of this pool (`reel worker --pool NAME`); overrides a job file's `pool`.")
    var pool: String?
    @Flag(help: "Wait for the job, showing progress; exit non-zero if it fails.")
    var wait = false
    @Option(help: "With --wait: write the finished MP4 (PNG for --still) here.")
    var output: String?

    func validate() throws {
        if prompt != nil && promptEmbeds != nil { throw ValidationError("give --prompt or --prompt-embeds, not both") }
        if negativePrompt != nil && negativePromptEmbeds != nil {
            throw ValidationError("give --negative-prompt or --negative-prompt-embeds, not both")
        }
        if jobFile == nil, prompt == nil, promptEmbeds == nil, promptAt.isEmpty {
            throw ValidationError("give --prompt TEXT, --prompt-at SECONDS:TEXT, --prompt-embeds FILE, or a JSON job file")
        }
        if !promptAt.isEmpty, promptEmbeds != nil {
            throw ValidationError("a prompt timeline (--prompt-at) needs text prompts: drop --prompt-embeds, or drop --prompt-at")
        }
        if output != nil, !wait { throw ValidationError("--output needs --wait (or use `reel fetch JOB --output FILE` later)") }
        if let output { try checkWritable(output) }
        if let pool, !JobRequest.isPoolName(pool) {
            throw ValidationError("--pool '\(pool)' is not a pool name: use letters, digits, '-', '_' and '.', like gpu-a100")
        }
    }

    func run() async throws {
        let submission: FarmAPI.SubmitRequest, sources: [LocalSource]
        // A file found wanting here is the user's to fix, but usage text would not help.
        do { (submission, sources) = try makeSubmissionWithSources() } catch let error as ValidationError { throw SubmitError(error.message) }
        let client = coordinator.client
        try await SourceUploader(destination: client).ensure(sources)
        let id = try await client.submit(submission)
        print(id)
        // Which embeddings the coordinator chose, when it is not the user's file.
        if let status = try? await client.job(id) {
            switch status.embeddings {
            case "stand-in"?:
                printErr("note: model '\(status.model)' has no text encoder (tokenizer/ and text_encoder/), so the prompt goes through the built-in stand-in embedder; give real embeddings with --prompt-embeds FILE")
            case let source? where source != "file":
                printErr("prompt: \(source)")
            default: break
            }
            if let waiting = status.waiting { printErr("job \(id) is \(waiting)") }
        }
        guard wait else {
            printErr("submitted job \(id); follow it with `reel status \(id)`")
            return
        }
        try await Waiting(client: client).wait(for: id, output: output)
    }

    func makeSubmission() throws -> FarmAPI.SubmitRequest { try makeSubmissionWithSources().submission }

    /// The request, and the local files its conditioning items name (flags, or a job
    /// file's `file` keys), read and checked, to upload before it.
    func makeSubmissionWithSources() throws -> (submission: FarmAPI.SubmitRequest, sources: [LocalSource]) {
        var request: JobRequest
        var fileSources: [(item: Int, source: LocalSource)] = []
        if let jobFile {
            let data: Data
            do { data = try Data(contentsOf: URL(fileURLWithPath: jobFile)) } catch {
                throw ValidationError("cannot read job file \(jobFile): \(error.localizedDescription)")
            }
            let resolved = try JobFileSources.resolve(data, jobFile: jobFile)
            do {
                request = try FarmAPI.decoder().decode(JobRequest.self, from: resolved.json)
            } catch {
                throw ValidationError("job file \(jobFile) is not a valid job: \(error)")
            }
            fileSources = resolved.files
        } else {
            request = JobRequest(
                name: name, model: job.model, prompt: prompt, negativePrompt: negativePrompt, frames: job.frames,
                seconds: job.seconds, fps: job.fps, width: job.size.width, height: job.size.height, seed: seed,
                guidance: job.guidanceScale, shift: shift, plan: job.planConfig, priority: priority)
        }
        if job.still { request.still = true }
        // Prompt flags fill in (or override) a job file's.
        if let prompt { request.prompt = prompt }
        if let negativePrompt { request.negativePrompt = negativePrompt }
        if !promptAt.isEmpty { request.prompts = promptAt.map(\.value) }
        if let pool { request.pool = pool }
        let sources: [LocalSource]
        // A model this machine knows gets its plan's checks here; any other (a worker's
        // folder name) has Wan's temporal stride, and the coordinator checks the plan.
        let model = try? JobOptions.loadModel(request.model)
        let stride = model?.temporalStride ?? ModelGeometry.wan21_1_3B.temporalStride
        if conditioning.isEmpty {
            try JobFileSources.check(fileSources, request: request, temporalStride: stride)
            sources = fileSources.map(\.source)
        } else {
            // The flags replace a job file's conditioning, as the other flags override its fields.
            let job: JobSpec
            do { job = try request.spec(temporalStride: stride) } catch { throw ValidationError(error.description) }
            let items = try conditioning.items(job: job, temporalStride: stride)
            if let model {
                do { try ConditioningOptions.check(items, plan: try request.makePlan(model: model)) } catch let error as PlanError {
                    throw ValidationError(error.description)
                }
            }
            request.conditioning = items.map(\.item)
            sources = items.map { LocalSource(file: $0.file, digest: $0.item.source.digest) }
        }
        return (FarmAPI.SubmitRequest(
            request: request,
            promptEmbeds: try promptEmbeds.map { try Self.embeddings($0, names: ["prompt_embeds"]) },
            negativePromptEmbeds: try negativePromptEmbeds.map {
                try Self.embeddings($0, names: ["negative_prompt_embeds", "prompt_embeds"])
            }), sources)
    }

    /// The first of `names` in a safetensors file, as (L, D).
    static func embeddings(_ path: String, names: [String]) throws -> FarmAPI.EncodedTensor {
        let file = try SafeTensorsFile(path: path)
        guard let name = names.first(where: { file.entry($0) != nil }) else {
            throw ValidationError("\(path) has no tensor named \(names.joined(separator: " or ")) (it has: \(file.names.joined(separator: ", ")))")
        }
        let tensor = try file.tensor(name)
        let shape = tensor.shape.count == 3 && tensor.shape[0] == 1 ? Array(tensor.shape.dropFirst()) : tensor.shape
        guard shape.count == 2 else { throw ValidationError("\(path): \(name) has shape \(tensor.shape); expected (L, D) or (1, L, D)") }
        return FarmAPI.EncodedTensor(shape: shape, values: tensor.storage)
    }
}

/// Fails before any work when `path`'s folder does not exist or cannot be written.
func checkWritable(_ path: String) throws {
    let directory = (path as NSString).deletingLastPathComponent
    let folder = directory.isEmpty ? "." : directory
    guard FileManager.default.isWritableFile(atPath: folder) else {
        throw ValidationError("cannot write \(path): the folder '\(folder)' does not exist or is not writable")
    }
}
