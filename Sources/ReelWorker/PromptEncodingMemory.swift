import Foundation

/// Whether a worker can hold a model's umT5 text encoder beside what its shards
/// hold: the encoder is the largest thing a worker may load (umT5-XXL keeps
/// 10.7 GiB resident in bf16), and it stays loaded once a prompt has been
/// encoded, so a worker that cannot hold both must leave prompts to others.
///
/// Shards are counted by their weights (the transformer and the VAE, in float32
/// as the engine keeps them); their activations depend on each job's size and
/// are not counted, so `fits` is a necessary condition, not a guarantee.
public struct PromptEncodingMemory: Sendable, Equatable {
    public var model: String
    /// What this worker may use: `reel worker --memory-limit`, else the machine's
    /// memory or its cgroup's limit, whichever is lower.
    public var limitBytes: Int
    /// The text encoder's weights as they are kept in memory.
    public var encoderBytes: Int
    /// The transformer's and the VAE's weights.
    public var shardBytes: Int

    public init(model: String, limitBytes: Int, encoderBytes: Int, shardBytes: Int) {
        self.model = model
        self.limitBytes = limitBytes
        self.encoderBytes = encoderBytes
        self.shardBytes = shardBytes
    }

    public var fits: Bool { encoderBytes + shardBytes <= limitBytes }

    /// Why the worker does not encode prompts for ``model``; nil when it fits.
    public var refusal: String? {
        guard !fits else { return nil }
        return "does not encode prompts for model '\(model)': its text encoder needs \(Self.gib(encoderBytes)) and the model's "
            + "transformer and VAE \(Self.gib(shardBytes)), more than the \(Self.gib(limitBytes)) this worker may use; it still "
            + "denoises and decodes. Encode prompts on a worker with more memory, or give this one more (--memory-limit "
            + "if its limit is set lower than the machine's); --no-prompt-encoding says this on purpose"
    }

    static func gib(_ bytes: Int) -> String { String(format: "%.1f GiB", Double(bytes) / Double(1 << 30)) }

    /// The machine's memory, or the cgroup v2 limit of this process if lower (a
    /// container's `memory.max`; "max" means none).
    public static func machineLimit(cgroupFile: String = "/sys/fs/cgroup/memory.max") -> Int {
        let physical = Int(clamping: ProcessInfo.processInfo.physicalMemory)
        guard let text = try? String(contentsOfFile: cgroupFile, encoding: .utf8),
            let limit = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)), limit > 0
        else { return physical }
        return min(physical, limit)
    }
}
