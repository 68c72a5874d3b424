import ReelPlan

/// A prompt timeline on a model whose prompts a worker encodes with its real text
/// encoder: the worker encodes each distinct later prompt once, in one work item
/// with the job's prompt (and negative prompt), and the job's timeline is built
/// from the blobs that come back.
extension JobTimeline {
    /// The texts a worker encodes after the job's prompt: the request's later
    /// prompts (``JobRequest/canonicalizingTimeline(plan:)``'s form), each distinct
    /// text once, in the order they first appear, without the first prompt's text
    /// (whose embeddings are the job's own). Empty without a timeline.
    static func laterTexts(of request: JobRequest) -> [String] {
        var seen: Set<String> = request.prompt.map { [$0] } ?? []
        return (request.prompts ?? []).map(\.text).filter { seen.insert($0).inserted }
    }

    /// Each later prompt's embeddings blob, in the request's order, given the blobs
    /// `shas` of the encoded `texts` (``laterTexts(of:)``) and the job's own
    /// `promptSHA` for a later prompt that repeats the first. Nil when `texts` and
    /// `shas` differ in length or a later prompt is in neither.
    static func laterSHAs(of request: JobRequest, promptSHA: String, texts: [String], shas: [String]) -> [String]? {
        guard texts.count == shas.count else { return nil }
        var blobs = Dictionary(zip(texts, shas), uniquingKeysWith: { first, _ in first })
        if let prompt = request.prompt { blobs[prompt] = promptSHA }
        var result: [String] = []
        for prompt in request.prompts ?? [] {
            guard let sha = blobs[prompt.text] else { return nil }
            result.append(sha)
        }
        return result
    }

    /// How each of ``laterTexts(of:)`` is named in a truncation note: "prompt at
    /// 4 s" (with every later time it comes back at: "prompt at 4, 8 s").
    static func laterLabels(of request: JobRequest) -> [String] {
        let prompts = request.prompts ?? []
        return laterTexts(of: request).map { text in
            let times = prompts.filter { $0.text == text }.map { seconds($0.at) }
            return "prompt at " + times.joined(separator: ", ") + " s"
        }
    }

    /// Refuses a job whose encoded prompts would not fit in one message: the
    /// worker returns them all in one `PromptResult`, `[1, textTokens, textDim]`
    /// floats each (a 16-prompt timeline with its negative is 17 × 8 MiB on Wan
    /// 2.1 1.3B, well inside the default 512 MiB; a smaller limit could refuse one).
    static func checkEncodedSize(
        _ texts: (prompt: String, negative: String?, later: [String]), model: ModelGeometry, maxMessageBytes: Int
    ) throws(APIError) {
        let tensors = 1 + (texts.negative == nil ? 0 : 1) + texts.later.count
        let bytes = tensors * model.textTokens * model.textDim * MemoryLayout<Float>.size
        // Room for the envelope and the frames' headers.
        guard bytes <= maxMessageBytes - (1 << 20) else {
            throw .badRequest(
                "the \(tensors) prompt embeddings of this timeline (\(bytes >> 20) MiB) would not fit in one message of the farm's "
                    + "\(maxMessageBytes >> 20) MiB: give fewer distinct prompts (--prompt-at)")
        }
    }

    private static func seconds(_ at: Double) -> String {
        at == at.rounded() && abs(at) < 1e15 ? String(Int(at)) : String(at)
    }
}
