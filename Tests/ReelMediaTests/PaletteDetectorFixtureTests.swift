import Foundation
import ReelMedia
import Testing

/// The Swift adherence detector against the reference, `Deploy/train/quality.py`, on
/// frames it meets in practice: clips sampled from a demo-model checkpoint (blurred
/// edges, colours off by the VAE's error, an object that shows only in some frames) and
/// one generator clip. `Deploy/train/detector_fixture.py` wrote the PNG strips and
/// quality.py's verdicts (Fixtures/adherence).
@Suite struct PaletteDetectorFixtureTests {
    static let folder = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent("adherence")

    struct Case: Decodable {
        let prompt: String
        let colour: String
        let direction: String
        let frames: Int
        let pixels: [Int]
        let centroids: [[Double]?]
        let direction_ok: Bool?
        let adherence: [String: Double]
        let file: String
    }

    struct Expected: Decodable {
        let palette: [[Palette]]
        let max_distance: Double
        let min_pixels: Int
        let cases: [Case]

        /// A palette row's entries: the name, then red, green and blue.
        enum Palette: Decodable {
            case name(String)
            case level(UInt8)
            init(from decoder: any Decoder) throws {
                let c = try decoder.singleValueContainer()
                if let s = try? c.decode(String.self) { self = .name(s) } else { self = .level(try c.decode(UInt8.self)) }
            }
        }

        var colours: [PaletteColour] {
            palette.compactMap { row in
                guard case let .name(n) = row[0], case let .level(r) = row[1], case let .level(g) = row[2], case let .level(b) = row[3] else { return nil }
                return PaletteColour(n, r, g, b)
            }
        }
    }

    static func load() throws -> Expected {
        try JSONDecoder().decode(Expected.self, from: Data(contentsOf: folder.appendingPathComponent("expected.json")))
    }

    /// The frames of a strip stacked top to bottom, each as wide as the strip.
    static func frames(_ file: String, count: Int) throws -> [RGBFrame] {
        let strip = try MediaReader.readImage(url: folder.appendingPathComponent(file))
        let h = strip.height / count
        let rowBytes = strip.width * 3
        return try (0..<count).map { t in
            try RGBFrame(width: strip.width, height: h, pixels: Array(strip.pixels[t * h * rowBytes..<(t + 1) * h * rowBytes]))
        }
    }

    @Test(arguments: 0..<4)
    func agreesWithQualityPy(index: Int) throws {
        let expected = try Self.load()
        let detector = try PaletteDetector(palette: expected.colours, maxDistance: expected.max_distance, minPixels: expected.min_pixels)
        #expect(detector.palette.count == 14)
        let c = expected.cases[index]
        let frames = try Self.frames(c.file, count: c.frames)
        let colour = try detector.index(of: c.colour)
        var maxdiff = 0.0
        for (t, frame) in frames.enumerated() {
            let found = detector.detect(colour: colour, in: frame)
            #expect(found.pixels == c.pixels[t], "frame \(t)")
            #expect((found.centroid == nil) == (c.centroids[t] == nil), "frame \(t)")
            if let got = found.centroid, let want = c.centroids[t] {
                maxdiff = max(maxdiff, abs(got.x - want[0]), abs(got.y - want[1]))
            }
        }
        print("\(c.file) (\(c.prompt)): centroid maxdiff \(maxdiff)")
        #expect(maxdiff < 1e-9)
        let direction = try #require(TrackDirection(word: c.direction))
        #expect(detector.track(colour: colour, in: frames).moves(direction) == c.direction_ok)
        let a = try detector.adherence(of: frames, colour: c.colour, direction: direction)
        #expect(a.colourRate == c.adherence["colour"] && a.directionRate == c.adherence["direction"])
        #expect(Double(a.windows) == c.adherence["windows"])
    }

    @Test func theFixtureCoversFoundMissedAndPartlyFoundClips() throws {
        // What makes the comparison worth having: not every frame found, nor none.
        let rates = try Self.load().cases.map { $0.adherence["colour"] ?? -1 }
        #expect(rates.contains(1) && rates.contains(0) && rates.contains { $0 > 0 && $0 < 1 })
    }
}
