/// One prompt of a timeline: in force from `at` seconds until the next one starts
/// (`reel submit --prompt-at SECONDS:TEXT`; in a job file,
/// `"prompts": [{"at": 0, "text": "…"}, …]`).
public struct TimedPrompt: Hashable, Sendable, Codable {
    /// Where the prompt starts, in seconds from the clip's start.
    public var at: Double
    /// The prompt text.
    public var text: String

    public init(at: Double, text: String) {
        self.at = at
        self.text = text
    }
}

/// A clip's prompts over time, checked against its length: segment i runs from
/// `prompts[i].at` to the next prompt's start (the last to the clip's end).
///
/// How a window is conditioned on it (``Plan/promptWeights(_:)``): Wan's
/// cross-attention reads one text sequence for the whole window, so a window that
/// spans two segments is given the weighted mix of their umT5 embeddings, each
/// prompt weighted by how much of the window's own blend weight lies in its
/// segment (latent frames placed at the middle of the pixel frames they encode).
/// A window inside one segment gets that prompt alone; across a segment boundary
/// the weights move frame by frame with the windows, and the overlap blend of the
/// latents crossfades between neighbouring windows as it does everywhere else.
public struct PromptTimeline: Hashable, Sendable {
    /// The prompts, in time order, the first at 0.
    public let prompts: [TimedPrompt]

    /// - Parameters:
    ///   - prompts: the timed prompts, in any order.
    ///   - base: the job's plain prompt, in force before the first timed one (nil:
    ///     the first timed prompt must start at 0).
    ///   - seconds: the clip's length.
    /// - Throws: ``PlanError/invalidTimeline(_:)`` saying which prompt to move.
    public init(_ prompts: [TimedPrompt], base: String?, seconds: Double) throws(PlanError) {
        var sorted = prompts.sorted { $0.at < $1.at }
        for p in sorted {
            guard p.at.isFinite, p.at >= 0 else { throw .invalidTimeline("prompt at \(p.at) s: a time must be 0 or more") }
            guard p.at < seconds else {
                throw .invalidTimeline("prompt at \(p.at) s starts after the clip ends (\(seconds) s): use a time below \(seconds)")
            }
            guard !p.text.isEmpty else { throw .invalidTimeline("prompt at \(p.at) s has no text") }
        }
        for (a, b) in zip(sorted, sorted.dropFirst()) where a.at == b.at {
            throw .invalidTimeline("two prompts start at \(a.at) s: give each time one prompt")
        }
        if sorted.first.map({ $0.at > 0 }) ?? true {
            guard let base else {
                throw .invalidTimeline("the first prompt starts at \(sorted.first?.at ?? 0) s: give one at 0 s, or a --prompt for the start")
            }
            sorted.insert(TimedPrompt(at: 0, text: base), at: 0)
        }
        self.prompts = sorted
    }

    /// The prompt in force at `seconds` (the last one starting at or before it).
    public func prompt(atSeconds seconds: Double) -> Int {
        prompts.lastIndex { $0.at <= seconds } ?? 0
    }
}

/// A prompt's share of a window's text conditioning.
public struct PromptWeight: Hashable, Sendable, Codable {
    /// Index into ``PromptTimeline/prompts``.
    public var prompt: Int
    /// In (0, 1]; a window's weights sum to 1.
    public var weight: Double

    public init(prompt: Int, weight: Double) {
        self.prompt = prompt
        self.weight = weight
    }
}

extension Plan {
    /// The time of latent frame `k`: the middle of the pixel frames it encodes
    /// (latent 0 is pixel 0; latent k ≥ 1 is pixels `s(k − 1) + 1 … s·k`), in seconds.
    public func seconds(ofLatentFrame k: Int) -> Double {
        let s = geometry.model.temporalStride
        let pixel = k == 0 ? 0 : Double(s * (k - 1) + 1 + s * k) / 2
        return pixel / Double(geometry.job.fps)
    }

    /// Each window's prompt mix (see ``PromptTimeline``): for window w, the weight
    /// of prompt p is the sum of w's temporal blend weights over the latent frames
    /// in p's segment, over the sum of all of them. Prompts with no frames in the
    /// window are left out; the list is in prompt order.
    public func promptWeights(_ timeline: PromptTimeline) -> [[PromptWeight]] {
        windows.enumerated().map { w, span in
            let ramp = frameWeights.weights[w]
            var sums = [Double](repeating: 0, count: timeline.prompts.count)
            for j in 0 ..< span.length {
                sums[timeline.prompt(atSeconds: seconds(ofLatentFrame: span.position(at: j)))] += ramp[j]
            }
            let total = sums.reduce(0, +)
            return sums.enumerated().compactMap { p, sum in sum > 0 ? PromptWeight(prompt: p, weight: sum / total) : nil }
        }
    }
}
