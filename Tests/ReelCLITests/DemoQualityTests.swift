import Foundation
import ReelMedia
import ReelPlan
import Testing
@testable import ReelCLI

/// `reel demo`'s measures of a clip (issue #12, item 5) on MP4s drawn here: a red disc
/// moving rightwards over navy, continuously or with jumps at the window boundaries,
/// written through the H.264 encoder as the farm writes its clips.
@Suite struct DemoQualityTests {
    let dir = NSTemporaryDirectory() + "reel-demo-quality-\(UUID().uuidString)"
    let palette = [
        PaletteColour("red", 230, 40, 40), PaletteColour("green", 40, 210, 60),
        PaletteColour("navy", 15, 25, 80), PaletteColour("black", 8, 8, 8),
    ]
    let colours: Set<String> = ["red", "green"]
    let plan: (ClipGeometry) throws -> Plan = { try Plan(geometry: $0, config: PlanConfig(window: 16, overlap: 4, steps: 10)) }

    /// 157 frames of 176×64 (40 latent frames: windows [0, 16), [12, 28), [24, 40),
    /// pixel boundaries 45, 61, 93, 109) of a disc of radius 6 moving 1 pixel a frame
    /// from x = 10, plus `jump` pixels entering each boundary frame, wrapping at the
    /// right edge (only with jumps: without, it ends at x = 166).
    func write(jump: Int, name: String) throws -> String {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/\(name).mp4"
        let writer = try VideoWriter(url: URL(fileURLWithPath: path), width: 176, height: 64, fps: 16)
        var x = 10
        for t in 0..<157 {
            x += t == 0 ? 0 : 1 + ([45, 61, 93, 109].contains(t) ? jump : 0)
            var frame = try RGBFrame(width: 176, height: 64, red: 15, green: 25, blue: 80)
            for py in 26...38 {
                for px in 0..<176 where (px - x % 176) * (px - x % 176) + (py - 32) * (py - 32) <= 36 {
                    frame[px, py] = (230, 40, 40)
                }
            }
            try writer.append(frame)
        }
        try writer.finish()
        return path
    }

    @Test func aContinuousClipOfThePromptedColourAndDirectionPasses() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = try write(jump: 0, name: "smooth")
        let q = try DemoQuality.measure(
            video: path, prompt: "a red ball moving rightwards on a navy background", palette: palette, objectColours: colours, plan: plan)
        print("smooth: colour \(q.adherence.colourRate), direction \(q.adherence.directionRate), seam \(q.seam?.ratio ?? -1)")
        #expect(q.frames == 157)
        #expect(q.adherence == Adherence(colourRate: 1, directionRate: 1, windows: 3))
        let seam = try #require(q.seam)
        #expect(seam.boundaryPairs == 4)
        // The issue's bound for a seamless clip.
        #expect(seam.ratio <= 1.1 && seam.ratio >= 0.9)
        // The same clip judged against another prompt fails it.
        let other = try DemoQuality.measure(
            video: path, prompt: "a green ball moving leftwards on a navy background", palette: palette, objectColours: colours, plan: plan)
        #expect(other.adherence.colourRate == 0 && other.adherence.directionRate == 0)
        let backwards = try DemoQuality.measure(
            video: path, prompt: "a red ball moving leftwards on a navy background", palette: palette, objectColours: colours, plan: plan)
        #expect(backwards.adherence.colourRate == 1 && backwards.adherence.directionRate == 0)
    }

    @Test func jumpsAtTheWindowBoundariesRaiseTheSeamMetric() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let q = try DemoQuality.measure(
            video: try write(jump: 8, name: "jumps"), prompt: "a red ball moving rightwards on a navy background",
            palette: palette, objectColours: colours, plan: plan)
        print("jumps: seam \(q.seam?.ratio ?? -1)")
        // A 9-pixel move changes about 4× the pixels a 1-pixel move does (a disc of
        // radius 6: 2 · 113 pixels against 2 · 13).
        #expect(try #require(q.seam).ratio > 3)
        #expect(q.adherence.directionRate == 1)
    }

    @Test func thePromptGivesTheColourAndTheDirection() {
        let colours: Set<String> = ["red", "white", "blue"]
        #expect(DemoQuality.target(of: "A large red ball bouncing rightwards on a navy background", objectColours: colours)
            == .init(colour: "red", direction: .rightwards, directionWord: "rightwards"))
        #expect(DemoQuality.target(of: "a white triangle orbiting counterclockwise on a gradient from navy to pine", objectColours: colours)
            == .init(colour: "white", direction: .counterclockwise, directionWord: "counterclockwise"))
        #expect(DemoQuality.target(of: "a ball moving rightwards", objectColours: colours) == nil)
        #expect(DemoQuality.target(of: "a blue ball on a navy background", objectColours: colours) == nil)
    }

    @Test func measureTakesAnExistingClipOnly() throws {
        #expect(throws: (any Error).self) { try DemoCommand.parse(["--measure", dir + "/missing.mp4"]) }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        FileManager.default.createFile(atPath: dir + "/clip.mp4", contents: Data())
        #expect(try DemoCommand.parse(["--measure", dir + "/clip.mp4"]).measure == dir + "/clip.mp4")
    }

    @Test func thePaletteComesFromGrammarJSONInItsOrder() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let good = #"{"object_colours": ["red"], "palette": [["red", 230, 40, 40], ["navy", 15, 25, 80]]}"#
        try Data(good.utf8).write(to: URL(fileURLWithPath: dir + "/grammar.json"))
        #expect(DemoQuality.palette(folder: dir) == [PaletteColour("red", 230, 40, 40), PaletteColour("navy", 15, 25, 80)])
        #expect(DemoModel.objectColours(folder: dir) == ["red"])
        let bad = #"{"palette": [["red", 230, 40, 400]]}"#
        try Data(bad.utf8).write(to: URL(fileURLWithPath: dir + "/grammar.json"))
        #expect(DemoQuality.palette(folder: dir) == nil)
    }
}
