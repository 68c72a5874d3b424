import Foundation
import ReelMedia
import Testing

/// The demo model's adherence detector on frames drawn here, where the truth is known
/// from the drawing: a disc of one colour at a known centre over a flat background.
@Suite struct PaletteDetectorTests {
    // Four of the demo grammar's colours (Deploy/train/clips.py).
    static let red = PaletteColour("red", 230, 40, 40)
    static let green = PaletteColour("green", 40, 210, 60)
    static let navy = PaletteColour("navy", 15, 25, 80)
    static let black = PaletteColour("black", 8, 8, 8)
    let detector = try! PaletteDetector(palette: [red, green, navy, black])

    /// A 64×64 frame of `background` with a disc of `colour` (every pixel centre within
    /// `radius` of `centre`); a disc that crosses the right edge is clipped there.
    static func disc(
        at centre: (x: Double, y: Double), radius: Double = 6, colour: (UInt8, UInt8, UInt8) = (230, 40, 40),
        background: PaletteColour = navy, size: Int = 64
    ) throws -> RGBFrame {
        var frame = try RGBFrame(width: size, height: size, red: background.red, green: background.green, blue: background.blue)
        for y in 0..<size {
            for x in 0..<size where (Double(x) - centre.x) * (Double(x) - centre.x) + (Double(y) - centre.y) * (Double(y) - centre.y) <= radius * radius {
                frame[x, y] = (colour.0, colour.1, colour.2)
            }
        }
        return frame
    }

    @Test func findsTheDiscAndItsCentre() throws {
        // A disc of radius 6 about a pixel centre holds 113 pixels (the lattice points
        // of x² + y² ≤ 36: 1 + 4·6 + 4·(5 + 5 + 5 + 4 + 3) = 113) and is symmetric, so
        // its centroid is the centre itself.
        let frame = try Self.disc(at: (20, 41))
        let found = detector.detect(colour: 0, in: frame)
        #expect(found.pixels == 113)
        #expect(found.centroid?.x == 20 && found.centroid?.y == 41)
        // No other colour of the palette is there but the background.
        #expect(detector.detect(colour: 1, in: frame) == ColourDetection(pixels: 0, centroid: nil))
        #expect(detector.detect(colour: 2, in: frame).pixels == 64 * 64 - 113)
    }

    @Test func aColourOffByAVAEsErrorIsStillFoundAndAFarOneIsNot() throws {
        // (200, 70, 50) is 43.6 from red (within 70); (160, 100, 100) is 110 from red,
        // so nearer nothing within 70.
        #expect(detector.detect(colour: 0, in: try Self.disc(at: (32, 32), colour: (200, 70, 50))).pixels == 113)
        let far = try Self.disc(at: (32, 32), colour: (160, 100, 100))
        #expect(detector.detect(colour: 0, in: far).pixels == 0)
        let counts: [Int] = (0..<4).map { detector.detect(colour: $0, in: far).pixels }
        #expect(counts == [0, 0, 64 * 64 - 113, 0])
        // A blend of red and navy at an edge (122, 32, 60) is 109–110 from both: nobody's.
        let blend = try RGBFrame(width: 8, height: 8, red: 122, green: 32, blue: 60)
        let blendCounts: [Int] = (0..<4).map { detector.detect(colour: $0, in: blend).pixels }
        #expect(blendCounts == [0, 0, 0, 0])
    }

    @Test func aSpeckOfFewerThanMinPixelsIsNotFound() throws {
        // Radius 1.5 covers the 3×3 block: 9 pixels, under the 12 needed.
        let speck = detector.detect(colour: 0, in: try Self.disc(at: (10, 10), radius: 1.5))
        #expect(speck.pixels == 9 && speck.centroid == nil)
    }

    /// 121 frames of a red disc moving one pixel a frame rightwards from x = 10,
    /// wrapping from the right edge to the left.
    static func rightwards() throws -> [RGBFrame] {
        try (0..<121).map { t in try disc(at: (Double((10 + t) % 64), 32)) }
    }

    @Test func tellsTheDirectionAcrossAWrapAndNotPlayedBackwards() throws {
        let frames = try Self.rightwards()
        let forward = try detector.adherence(of: frames, colour: "red", direction: .rightwards)
        // Windows of 61 frames every 48: starts 0 and 48.
        #expect(forward == Adherence(colourRate: 1, directionRate: 1, windows: 2))
        let backward = try detector.adherence(of: frames.reversed(), colour: "red", direction: .rightwards)
        #expect(backward.directionRate == 0 && backward.colourRate == 1)
        #expect(try detector.adherence(of: frames.reversed(), colour: "red", direction: .leftwards).directionRate == 1)
        // Vertical judgements see no vertical motion: every step is 0, so not downwards.
        #expect(try detector.adherence(of: frames, colour: "red", direction: .downwards).directionRate == 0)
        // The wrong colour is found nowhere, and its direction cannot be judged.
        #expect(try detector.adherence(of: frames, colour: "green", direction: .rightwards) == Adherence(colourRate: 0, directionRate: 0, windows: 2))
    }

    @Test func tellsClockwiseFromCounterclockwiseOnScreen() throws {
        // Angle 0.1·t about the centre with y growing downwards: from the right of the
        // centre (t = 0) to below it (t ≈ 16), which on screen is clockwise.
        let frames = try (0..<61).map { t in
            try Self.disc(at: (32 + 18 * cos(0.1 * Double(t)), 32 + 18 * sin(0.1 * Double(t))), radius: 5)
        }
        let track = detector.track(colour: 0, in: frames)
        #expect(track.moves(.clockwise) == true)
        #expect(track.moves(.counterclockwise) == false)
        let reversed = CentroidTrack(points: track.points.reversed(), width: 64, height: 64)
        #expect(reversed.moves(.counterclockwise) == true)
    }

    @Test func framesWithoutTheObjectCountAgainstTheColourRateAndShortTracksAreUndecided() throws {
        // The disc in every other frame: 61 of 121 frames.
        let frames = try Self.rightwards().enumerated().map { t, frame in
            t % 2 == 0 ? frame : try RGBFrame(width: 64, height: 64, red: 15, green: 25, blue: 80)
        }
        let measured = try detector.adherence(of: frames, colour: "red", direction: .rightwards)
        #expect(measured.colourRate == 61.0 / 121.0)
        // No two consecutive frames both show it: no steps, so no window is judged right.
        #expect(measured.directionRate == 0)
        #expect(detector.track(colour: 0, in: frames).moves(.rightwards) == nil)
    }

    @Test func refusesWhatItCannotMeasure() throws {
        #expect(throws: MediaError.self) { try PaletteDetector(palette: []) }
        #expect(throws: MediaError.self) { try PaletteDetector(palette: [Self.red, Self.red]) }
        #expect(throws: MediaError.self) { try detector.adherence(of: [], colour: "red", direction: .upwards) }
        #expect(throws: MediaError.self) { try detector.adherence(of: Self.rightwards(), colour: "teal", direction: .upwards) }
        #expect(TrackDirection(word: "counterclockwise") == .counterclockwise && TrackDirection(word: "sideways") == nil)
    }
}
