import ReelPlan

/// The decode stage of one job: chunks handed to workers, and the pixel frames
/// that came back, released to the video writer strictly in order.
struct DecodeProgress: Sendable {
    /// Chunk states, by index.
    var chunks: [DecodeChunk]
    var machines: [ShardStateMachine]
    /// Fencing tokens, as for shards.
    var tokens: [Int]
    /// The finished latents `[C, F, H, W]` the chunks cut from.
    let latents: [Float]
    /// `sha256` of `latents`.
    let latentsSHA: String
    /// Chunks decoded but not yet written because an earlier one is outstanding.
    var waiting: [Int: [Float]] = [:]
    /// The next chunk the writer needs.
    var nextToWrite = 0

    init(chunks: [DecodeChunk], latents: [Float], latentsSHA: String, policy: RetryPolicy) {
        self.chunks = chunks
        self.latents = latents
        self.latentsSHA = latentsSHA
        machines = chunks.map { _ in
            var machine = ShardStateMachine(policy: policy)
            _ = machine.dependenciesMet()
            return machine
        }
        tokens = chunks.map { _ in 0 }
    }

    var isFinished: Bool { nextToWrite == chunks.count }

    /// Stores chunk `index`'s frames and returns the run of chunks that can now be
    /// written, in order.
    mutating func arrived(_ index: Int, frames: [Float]) -> [(index: Int, frames: [Float])] {
        waiting[index] = frames
        var release: [(Int, [Float])] = []
        while let next = waiting.removeValue(forKey: nextToWrite) {
            release.append((nextToWrite, next))
            nextToWrite += 1
        }
        return release
    }

    /// The latents a chunk's worker receives: `[C, inputFrames, H, W]`.
    func input(of chunk: DecodeChunk, shape: LatentShape) -> [Float] {
        let plane = shape.height * shape.width
        var out: [Float] = []
        out.reserveCapacity(shape.channels * chunk.inputFrames.count * plane)
        for c in 0 ..< shape.channels {
            let base = c * shape.frames * plane
            out.append(contentsOf: latents[(base + chunk.inputFrames.lowerBound * plane) ..< (base + chunk.inputFrames.upperBound * plane)])
        }
        return out
    }
}
