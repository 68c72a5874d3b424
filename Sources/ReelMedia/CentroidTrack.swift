import Foundation

/// A direction of motion a ``CentroidTrack`` can be judged against: along an axis
/// (image coordinates, y growing downwards), or around the frame's centre.
public enum TrackDirection: Sendable, Hashable {
    case rightwards, leftwards, downwards, upwards
    /// Clockwise as seen on screen.
    case clockwise
    case counterclockwise

    /// The demo grammar's word for it (`rightwards`, …, `counterclockwise`).
    public init?(word: String) {
        switch word {
        case "rightwards": self = .rightwards
        case "leftwards": self = .leftwards
        case "downwards": self = .downwards
        case "upwards": self = .upwards
        case "clockwise": self = .clockwise
        case "counterclockwise": self = .counterclockwise
        default: return nil
        }
    }
}

/// An object's centroid frame by frame (nil where it was not found), in a frame of
/// `width × height` pixels.
public struct CentroidTrack: Sendable {
    /// The centroid in each frame, nil where the object was not found.
    public let points: [(x: Double, y: Double)?]
    public let width: Int
    public let height: Int

    /// A track of `points` in frames of `width × height` pixels.
    public init(points: [(x: Double, y: Double)?], width: Int, height: Int) {
        self.points = points
        self.width = width
        self.height = height
    }

    /// The frames `range` of the track.
    public subscript(range: Range<Int>) -> CentroidTrack {
        CentroidTrack(points: Array(points[range]), width: width, height: height)
    }

    /// Whether the track moves `direction`: the sign of the median step between
    /// consecutive frames where both are found. Along an axis, steps longer than a
    /// third of the frame are an object wrapping round the edge and are dropped; for
    /// an orbit the step is the change of the angle about the frame's centre. Nil when
    /// fewer than 3 steps remain (too little track to say).
    public func moves(_ direction: TrackDirection) -> Bool? {
        var steps = [Double]()
        let sign: Double
        switch direction {
        case .clockwise, .counterclockwise:
            // y grows downwards, so a growing angle turns clockwise on screen.
            sign = direction == .clockwise ? 1 : -1
            let cx = Double(width) / 2
            let cy = Double(height) / 2
            for (a, b) in zip(points, points.dropFirst()) {
                guard let a, let b else { continue }
                var step = atan2(b.y - cy, b.x - cx) - atan2(a.y - cy, a.x - cx)
                // Into [−π, π): a turn across the ±π cut is a small step, not a full turn.
                step = (step + .pi).truncatingRemainder(dividingBy: 2 * .pi)
                if step < 0 { step += 2 * .pi }
                steps.append(step - .pi)
            }
        case .rightwards, .leftwards, .downwards, .upwards:
            let horizontal = direction == .rightwards || direction == .leftwards
            sign = direction == .rightwards || direction == .downwards ? 1 : -1
            let size = Double(horizontal ? width : height)
            for (a, b) in zip(points, points.dropFirst()) {
                guard let a, let b else { continue }
                let step = horizontal ? b.x - a.x : b.y - a.y
                if abs(step) < size / 3 { steps.append(step) }
            }
        }
        guard steps.count >= 3 else { return nil }
        return median(steps) * sign > 0
    }

    private func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        let n = sorted.count
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2
    }
}

/// How well a clip follows its prompt: in what share of its frames the prompted colour
/// is found, and in what share of its windows of frames the colour's track moves the
/// prompted way.
public struct Adherence: Sendable, Equatable {
    /// Frames where the colour is found ÷ all frames.
    public let colourRate: Double
    /// Windows whose track moves the prompted way ÷ all windows; a window where the
    /// object cannot be tracked counts as wrong.
    public let directionRate: Double
    /// Windows judged.
    public let windows: Int

    /// Measured rates, as ``PaletteDetector/adherence(of:colour:direction:window:stride:)`` gives them.
    public init(colourRate: Double, directionRate: Double, windows: Int) {
        self.colourRate = colourRate
        self.directionRate = directionRate
        self.windows = windows
    }
}

extension PaletteDetector {
    /// Measures `frames` against a prompted colour and direction, judging the direction
    /// over windows of `window` frames every `stride` frames (the defaults: the demo's
    /// 16-latent-frame window, 61 pixel frames, every 12 latent frames). A clip shorter
    /// than one window is judged as one.
    public func adherence(
        of frames: [RGBFrame], colour: String, direction: TrackDirection, window: Int = 61, stride: Int = 48
    ) throws -> Adherence {
        guard !frames.isEmpty else { throw MediaError.invalidArgument("no frames to measure") }
        guard window >= 2, stride >= 1 else {
            throw MediaError.invalidArgument("window (\(window)) must be ≥ 2 frames and stride (\(stride)) ≥ 1")
        }
        let index = try self.index(of: colour)
        let track = self.track(colour: index, in: frames)
        let found = track.points.filter { $0 != nil }.count
        var verdicts = [Bool]()
        for start in Swift.stride(from: 0, to: max(1, frames.count - window + 1), by: stride) {
            verdicts.append(track[start..<min(frames.count, start + window)].moves(direction) ?? false)
        }
        return Adherence(
            colourRate: Double(found) / Double(frames.count),
            directionRate: Double(verdicts.filter { $0 }.count) / Double(verdicts.count),
            windows: verdicts.count)
    }
}
