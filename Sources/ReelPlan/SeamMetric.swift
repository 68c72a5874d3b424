/// How visible the window seams of a clip are: the mean absolute difference between
/// consecutive frames across window boundaries, divided by the same mean for
/// consecutive frames elsewhere (with a `period`, only those at a boundary's position
/// within the period). About 1 means the boundaries move no more than
/// the rest of the clip (seamless); a jump at a seam pushes it above 1.
///
/// Frame pair `t` is `(t − 1, t)`. A boundary `b` marks pair `b` — the frame
/// before a window starts or after one ends. With `wraps` (loop mode) there is
/// also pair 0, `(F − 1, 0)`, the loop's own join.
public struct SeamMetric: Hashable, Sendable {
    /// Mean over boundary pairs of the per-pair mean |Δ|.
    public let boundaryMean: Double
    /// Mean over the other pairs (with a `period`, those in a boundary's phase).
    public let interiorMean: Double
    /// Pairs counted as boundaries.
    public let boundaryPairs: Int
    /// Pairs counted as interior.
    public let interiorPairs: Int

    /// `boundaryMean / interiorMean`; 1 when both are 0 (a still clip has no seams)
    /// and +∞ when only the interior is still.
    public var ratio: Double {
        if interiorMean == 0 { return boundaryMean == 0 ? 1 : .infinity }
        return boundaryMean / interiorMean
    }

    /// Measures a sequence laid out `[channels, frames, frameSize]` in C order: a
    /// latent `[C, F, H, W]` (channels C, frame size H·W) or decoded video
    /// `[F, H, W, 3]` (channels 1, frame size H·W·3).
    ///
    /// - Parameters:
    ///   - boundaries: frame indices where windows start or end (taken modulo
    ///     `frames` with `wraps`; otherwise values outside `1..<frames` are ignored).
    ///   - wraps: whether the last frame is followed by the first (loop mode).
    ///   - period: with a period p, only interior pairs at a position modulo p that some
    ///     boundary has count as interior. A causal video VAE decodes each latent frame to
    ///     p pixel frames, and the pairs between latent frames differ more than those
    ///     inside one (about 1.10× on the demo model's clips), so boundaries that fall
    ///     between latent frames compared with every pair read about 1.1 with no seam.
    /// - Returns: nil when there is no boundary pair or no interior pair to compare,
    ///   a period below 1, or the layout does not match `values.count`.
    public init?(values: [Float], channels: Int, frames: Int, boundaries: [Int], wraps: Bool = false, period: Int? = nil) {
        guard channels >= 1, frames >= 2, values.count % (channels * frames) == 0 else { return nil }
        let frameSize = values.count / (channels * frames)
        guard frameSize >= 1 else { return nil }
        var isBoundary = [Bool](repeating: false, count: frames)
        for b in boundaries {
            let t = wraps ? ((b % frames) + frames) % frames : b
            if t >= (wraps ? 0 : 1) && t < frames { isBoundary[t] = true }
        }
        if let period, period < 1 { return nil }
        let phases = Set((0 ..< frames).filter { isBoundary[$0] }.map { $0 % (period ?? 1) })
        var boundarySum = 0.0
        var interiorSum = 0.0
        var boundaryPairs = 0
        var interiorPairs = 0
        for t in (wraps ? 0 : 1)..<frames {
            let previous = t == 0 ? frames - 1 : t - 1
            var difference = 0.0
            for c in 0..<channels {
                let a = (c * frames + previous) * frameSize
                let b = (c * frames + t) * frameSize
                for i in 0..<frameSize { difference += abs(Double(values[b + i]) - Double(values[a + i])) }
            }
            difference /= Double(channels * frameSize)
            if isBoundary[t] {
                boundarySum += difference
                boundaryPairs += 1
            } else if phases.contains(t % (period ?? 1)) {
                interiorSum += difference
                interiorPairs += 1
            }
        }
        guard boundaryPairs > 0, interiorPairs > 0 else { return nil }
        self.boundaryMean = boundarySum / Double(boundaryPairs)
        self.interiorMean = interiorSum / Double(interiorPairs)
        self.boundaryPairs = boundaryPairs
        self.interiorPairs = interiorPairs
    }

    /// Measures frames given one array each (all the same size).
    public init?(frames: [[Float]], boundaries: [Int], wraps: Bool = false, period: Int? = nil) {
        guard let size = frames.first?.count, frames.allSatisfy({ $0.count == size }) else { return nil }
        self.init(values: frames.flatMap { $0 }, channels: 1, frames: frames.count, boundaries: boundaries, wraps: wraps, period: period)
    }
}

extension Plan {
    /// The seam metric of a finished latent `[C, F_lat, H_lat, W_lat]` at this plan's
    /// window boundaries (wrapping in loop mode); nil for a single window.
    public func seamMetric(latent values: [Float]) -> SeamMetric? {
        SeamMetric(
            values: values, channels: latent.channels, frames: latent.frames,
            boundaries: windowBoundaries, wraps: config.loop)
    }
}
