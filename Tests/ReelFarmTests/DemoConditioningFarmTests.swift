import Foundation
import ReelCoordinator
import ReelMedia
import ReelPlan
import Testing

/// Issue #16's done-whens that need content, on the trained demo model (`Models/demo`)
/// through a farm of processes (`reel coordinator`, two `reel worker`s) with `reel
/// submit` as a user runs it: image-to-video starts from the image, an extension
/// joins its source without a seam and without drifting in colour, a connection
/// starts at A's last frame and ends at B's first, a loop's wrap passes the seam
/// metric, and a prompt timeline changes the object's colour where it says.
///
/// Sources are drawn here the way the model's training clips are (a red ball on navy,
/// `Deploy/train/clips.py`): a ball of radius 8 moving rightwards 64 pixels in 56
/// frames, wrapping at the right edge. Thresholds are the figures measured on the
/// shipped model with a margin (README, Conditioning: "The demo model through the
/// conditioning modes").
@Suite(.serialized, .farmSlot) struct DemoConditioningFarmTests {
    static let prompt = "a red ball moving rightwards on a navy background"
    /// The settings `reel demo` had before it overlapped its windows by 8 (which the
    /// figures were measured with): windows of 16 latent frames overlapping by 4, 20 steps.
    static let job = [
        "submit", "--model", "demo", "--size", "64x64", "--window", "16", "--overlap", "4", "--steps", "20", "--blend-every", "5",
        "--guidance", "4", "--seed", "42",
    ]
    static let red: [UInt8] = [230, 40, 40]
    static let navy: [UInt8] = [15, 25, 80]

    /// The trained folder: `$REEL_DEMO_MODEL`, else the repository's `Models/demo`.
    static func demoFolder() throws -> String {
        if let folder = ProcessInfo.processInfo.environment["REEL_DEMO_MODEL"], !folder.isEmpty { return folder }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let folder = root.appendingPathComponent("Models/demo").path
        try #require(FileManager.default.fileExists(atPath: folder + "/transformer/config.json"), "no trained demo model at \(folder)")
        return folder
    }

    /// The demo model's palette (`grammar.json`'s `palette`: `[name, r, g, b]` rows), so the
    /// detector assigns each pixel among every colour of the grammar, as `reel demo` does.
    static func palette() throws -> [PaletteColour] {
        let data = try Data(contentsOf: URL(fileURLWithPath: try demoFolder() + "/grammar.json"))
        let rows = try #require((try JSONSerialization.jsonObject(with: data) as? [String: Any])?["palette"] as? [[Any]])
        return try rows.map { row in
            let rgb = row.dropFirst().compactMap { ($0 as? Int).flatMap(UInt8.init(exactly:)) }
            let name = try #require(row.first as? String)
            try #require(rgb.count == 3, "palette row \(row)")
            return PaletteColour(name, rgb[0], rgb[1], rgb[2])
        }
    }

    /// A farm of processes with the demo model beside the tiny one, and two workers.
    static func farm() async throws -> ProcessFarm {
        let farm = try ProcessFarm()
        try FileManager.default.copyItem(atPath: try demoFolder(), toPath: farm.models + "/demo")
        try await farm.startCoordinator()
        try farm.startWorker("w1")
        try farm.startWorker("w2")
        try await farm.waitForWorkers(2)
        return farm
    }

    /// Submits `arguments` with `reel submit`, waits, and decodes the MP4.
    static func render(_ farm: ProcessFarm, _ arguments: [String]) async throws -> [RGBFrame] {
        let said = try farm.cli(job + arguments)
        let id = try #require(SubmitConditioningFarmTests.jobID(said), "\(said)")
        let status = try await farm.waitForEnd(id)
        try #require(status.state == "succeeded", "\(status.reason ?? "") — logs in \(farm.directory.path)")
        let url = farm.directory.appendingPathComponent("job-\(id).mp4")
        try await farm.client.video(id).write(to: url)
        return try VideoReader(url: url).readAll()
    }

    /// A 64×64 frame: the red ball (radius 8) centred at (`x` mod 64, 32) on navy.
    static func ball(x: Double) throws -> RGBFrame {
        var pixels = [UInt8]()
        pixels.reserveCapacity(64 * 64 * 3)
        let centre = x.truncatingRemainder(dividingBy: 64)
        for row in 0 ..< 64 {
            for column in 0 ..< 64 {
                // The nearest of the ball and its copy across the wrap.
                let dx = min(abs(Double(column) + 0.5 - centre), 64 - abs(Double(column) + 0.5 - centre))
                let dy = Double(row) + 0.5 - 32
                pixels += dx * dx + dy * dy <= 64 ? red : navy
            }
        }
        return try RGBFrame(width: 64, height: 64, pixels: pixels)
    }

    /// `count` frames of the ball moving rightwards from `x`, as an MP4 at 16 fps.
    static func clip(_ name: String, from x: Double, count: Int, in farm: ProcessFarm) throws -> (URL, [RGBFrame]) {
        let url = farm.directory.appendingPathComponent(name)
        let writer = try VideoWriter(url: url, width: 64, height: 64, fps: 16)
        for k in 0 ..< count { try writer.append(try ball(x: x + Double(k) * 64 / 56)) }
        try writer.finish()
        return (url, try VideoReader(url: url).readAll())
    }

    /// Writes `frames` side by side to `.build/demo-conditioning/NAME.png` (not in git), to look at.
    static func strip(_ frames: [RGBFrame], _ name: String) throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let folder = root.appendingPathComponent(".build/demo-conditioning")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let (width, height) = (frames[0].width, frames[0].height)
        var pixels = [UInt8](repeating: 0, count: width * frames.count * height * 3)
        for (index, frame) in frames.enumerated() {
            for row in 0 ..< height {
                let to = (row * width * frames.count + index * width) * 3
                pixels.replaceSubrange(to ..< to + width * 3, with: frame.pixels[(row * width * 3) ..< ((row + 1) * width * 3)])
            }
        }
        try ImageWriter.write(try RGBFrame(width: width * frames.count, height: height, pixels: pixels), to: folder.appendingPathComponent(name + ".png"))
    }

    /// Peak signal-to-noise ratio of `a` against `b`, in dB (8-bit).
    static func psnr(_ a: RGBFrame, _ b: RGBFrame) -> Double {
        var sum = 0.0
        for (p, q) in zip(a.pixels, b.pixels) { sum += (Double(p) - Double(q)) * (Double(p) - Double(q)) }
        let mse = sum / Double(a.pixels.count)
        return mse == 0 ? .infinity : 10 * log10(255 * 255 / mse)
    }

    /// The frames as the seam metric reads them.
    static func values(_ frames: [RGBFrame]) -> [[Float]] { frames.map { $0.pixels.map(Float.init) } }

    /// Mean RGB of the pixels nearer `colour` than 70 (the detector's distance) and of the rest.
    static func meanColours(_ frames: ArraySlice<RGBFrame>, object colour: [UInt8]) -> (object: [Double], background: [Double]) {
        var object = [0.0, 0.0, 0.0], background = [0.0, 0.0, 0.0]
        var (objectCount, backgroundCount) = (0.0, 0.0)
        for frame in frames {
            for i in stride(from: 0, to: frame.pixels.count, by: 3) {
                let p = (0 ..< 3).map { Double(frame.pixels[i + $0]) }
                let distance = sqrt((0 ..< 3).map { (p[$0] - Double(colour[$0])) * (p[$0] - Double(colour[$0])) }.reduce(0, +))
                if distance < 70 {
                    for c in 0 ..< 3 { object[c] += p[c] }
                    objectCount += 1
                } else {
                    for c in 0 ..< 3 { background[c] += p[c] }
                    backgroundCount += 1
                }
            }
        }
        return (object.map { $0 / max(objectCount, 1) }, background.map { $0 / max(backgroundCount, 1) })
    }

    static func format(_ rgb: [Double]) -> String { "(" + rgb.map { String(format: "%.0f", $0) }.joined(separator: ", ") + ")" }

    @Test func imageToVideoStartsFromTheImage() async throws {
        let farm = try await Self.farm()
        defer { farm.stop() }
        let image = farm.directory.appendingPathComponent("ball.png")
        let drawn = try Self.ball(x: 16)
        try ImageWriter.write(drawn, to: image)
        let frames = try await Self.render(farm, ["--prompt", Self.prompt, "--seconds", "5", "--image", image.path])
        try Self.strip([drawn] + frames[0 ..< 8] + stride(from: 8, to: frames.count, by: 8).map { frames[$0] }, "image")
        let psnr = Self.psnr(frames[0], drawn)
        print(String(format: "image-to-video: first frame against the image: PSNR %.1f dB", psnr))
        #expect(psnr >= 18)
    }

    @Test func anExtensionJoinsItsSourceWithoutASeamOrADriftInColour() async throws {
        let farm = try await Self.farm()
        defer { farm.stop() }
        // The source is a clip the model rendered (6 s, 97 frames), as a user extends their own
        // clip: its colours are the VAE's, so the join shows the model's seam, not the VAE's
        // round-trip error against drawn colours. A 10 s extension (161 frames, 41 latent) pins
        // the source's last 81 frames (21 latent frames, at most half the clip's) at its start,
        // and source frames 0..<16 are joined before it, so the new frames begin at 97.
        let drawn = try await Self.render(farm, ["--prompt", Self.prompt, "--seconds", "6"])
        try #require(drawn.count == 97)
        let source = farm.directory.appendingPathComponent("source.mp4")
        let writer = try VideoWriter(url: source, width: 64, height: 64, fps: 16)
        for frame in drawn { try writer.append(frame) }
        try writer.finish()
        let frames = try await Self.render(farm, ["--prompt", Self.prompt, "--seconds", "10", "--extend", source.path])
        try Self.strip(stride(from: 0, to: frames.count, by: 6).map { frames[$0] }, "extend")
        let (join, generated) = (16, 97)
        try #require(frames.count == join + 161)
        let kept = (0 ..< join).map { Self.psnr(frames[$0], drawn[$0]) }.min() ?? 0
        let pinned = (join ..< generated).map { Self.psnr(frames[$0], drawn[$0]) }
        let joinSeam = try #require(SeamMetric(frames: Self.values(frames), boundaries: [join]))
        let endSeam = try #require(SeamMetric(frames: Self.values(frames), boundaries: [generated]))
        // The source as the farm read it (the farm reads this very file with the same reader),
        // so the join is compared with what the farm joined, codec error included.
        let sourceRead = try VideoReader(url: source).readAll()
        try #require(sourceRead.count == drawn.count)
        let sourceSeam = try #require(SeamMetric(frames: Self.values(sourceRead), boundaries: [join]))
        // Frames join − 1 and join against the source's: both sides of the join show the source.
        let atJoin = (join - 1 ... join).map { Self.psnr(frames[$0], sourceRead[$0]) }
        // What a pinned run shifted by one frame would read at the join.
        let shifted = Self.psnr(sourceRead[join - 1], sourceRead[join])
        // The mean |difference| of frames join − 1 and join, in 8-bit levels, in each clip.
        let (joinPair, sourcePair) = (joinSeam.boundaryMean, sourceSeam.boundaryMean)
        print(String(format: "extend: joined source frames at PSNR ≥ %.1f dB; pinned frames %.1f–%.1f dB (crossfading from the source to the VAE's round trip)", kept, pinned.min() ?? 0, pinned.max() ?? 0))
        print(String(format: "extend: frames %d and %d against the source as read: PSNR %.1f and %.1f dB (source frames %d and %d against each other: %.1f dB)", join - 1, join, atJoin[0], atJoin[1], join - 1, join, shifted))
        print(String(format: "extend: seam metric at the join %.3f, where the new frames begin %.3f", joinSeam.ratio, endSeam.ratio))
        print(String(format: "extend: the join's pair differs by %.3f levels, the source's own pair there by %.3f (%.3f×)", joinPair, sourcePair, joinPair / max(sourcePair, 1e-9)))
        #expect(kept >= 35)
        // Neither end of the pinned run shows a seam. At the join the output shows the source's
        // own frames, crossfading to the model's decode of them further on, so there is no seam
        // when both frames of the join's pair reproduce the source as well as the worst joined
        // frame does, less 1 dB (42.5 and 48.3, 48.2 dB). The model's decode of the pinned frames,
        // where the crossfade has ended, reads about 30 dB against them, so frame 16 holding a
        // third of it would already fail, as would a pinned run one frame off (the printed
        // source pair). The pair's own size is printed, not checked: it is about 1.4 levels,
        // the size of the codec's error on one frame, and it read 0.97 to 1.13× the source's
        // pair while the source's encodes differed between runs. The seam metric against the
        // whole clip's mean pair reads the source's own motion at that one pair (0.60 to 1.36
        // over 9 prompts measured by hand), so it is printed too. Where the new frames begin,
        // the model's decode continues its own, and the seam metric is checked.
        #expect(atJoin.allSatisfy { $0 >= kept - 1 }, "frames \(join - 1) and \(join) against the source: \(atJoin) dB; the joined frames' worst \(kept) dB")
        #expect(endSeam.ratio <= 1.1)
        // Item 5: the new clip's first and last seconds against the source's last second.
        let reference = Self.meanColours(drawn[81 ..< 97], object: Self.red)
        let first = Self.meanColours(frames[generated ..< generated + 16], object: Self.red)
        let last = Self.meanColours(frames[(frames.count - 16)...], object: Self.red)
        print("extend: mean colour, source's last second: object \(Self.format(reference.object)), background \(Self.format(reference.background))")
        print("extend: first generated second: object \(Self.format(first.object)), background \(Self.format(first.background))")
        print("extend: last second (5 s on): object \(Self.format(last.object)), background \(Self.format(last.background))")
        for (name, measured) in [("first", first), ("last", last)] {
            let objectDrift = zip(measured.object, reference.object).map { abs($0 - $1) }.max() ?? 0
            let backgroundDrift = zip(measured.background, reference.background).map { abs($0 - $1) }.max() ?? 0
            #expect(objectDrift <= 10 && backgroundDrift <= 10, "\(name) second's colours against the source's")
        }
    }

    @Test func aDrawnClipExtendedEitherWayJoinsWithoutASeam() async throws {
        let farm = try await Self.farm()
        defer { farm.stop() }
        // A drawn source's exact colours are what the VAE's round trip shifts most (navy by
        // about 20 levels): shown as decoded, the pinned frames would jump at the join. Each
        // extension pins 81 of its 97 frames, so the output is 16 + 161 or 161 + 16 frames.
        let (source, drawn) = try Self.clip("drawn.mp4", from: 8, count: 97, in: farm)
        let forward = try await Self.render(farm, ["--prompt", Self.prompt, "--seconds", "10", "--extend", source.path])
        let backward = try await Self.render(farm, ["--prompt", Self.prompt, "--seconds", "10", "--extend", source.path, "--backward"])
        try #require(forward.count == 16 + 161 && backward.count == 161 + 16)
        try Self.strip(stride(from: 0, to: forward.count, by: 6).map { forward[$0] }, "extend-drawn")
        try Self.strip(stride(from: 0, to: backward.count, by: 6).map { backward[$0] }, "extend-drawn-backward")
        // Forward: source frames 0..<16, then the pinned run (16..<97), then the new frames.
        // Backward: the new frames (0..<80), the pinned run (80..<161), then source frames 81..<97.
        let seams = try [(forward, 16), (forward, 97), (backward, 80), (backward, 161)].map { frames, boundary in
            try #require(SeamMetric(frames: Self.values(frames), boundaries: [boundary])).ratio
        }
        let kept = (0 ..< 16).map { Self.psnr(forward[$0], drawn[$0]) } + (161 ..< 177).map { Self.psnr(backward[$0], drawn[$0 - 80]) }
        print(String(format: "extend (drawn source): seam metric forward %.3f at the join, %.3f where the new frames begin; backward %.3f where they end, %.3f at the join; the source's own frames at PSNR ≥ %.1f dB", seams[0], seams[1], seams[2], seams[3], kept.min() ?? 0))
        // The joins are the crossfade's (#16: ≤ 1.1). Where the model's new frames meet the
        // pinned run is the model's own continuity; the forward one is checked at 1.1 on a
        // model-rendered source above, and both are guarded here.
        #expect(seams[0] <= 1.1 && seams[3] <= 1.1, "the joins")
        #expect(seams[1] <= 1.3 && seams[2] <= 1.3, "where the new frames meet the pinned run")
        #expect((kept.min() ?? 0) >= 35)
    }

    @Test func aKeyframeAnEditAndAStillRenderFromTheirSources() async throws {
        let farm = try await Self.farm()
        defer { farm.stop() }
        let detector = try PaletteDetector(palette: try Self.palette())
        let red = try detector.index(of: "red")
        // `--keyframe FILE@2` on a 4 s clip: 2 s is pixel frame 32, latent frame 8, so the
        // image is held over frames 29…32 (later form) and frame 32 shows it.
        let key = farm.directory.appendingPathComponent("key.png")
        let drawn = try Self.ball(x: 40)
        try ImageWriter.write(drawn, to: key)
        let keyed = try await Self.render(farm, ["--prompt", Self.prompt, "--seconds", "4", "--keyframe", "\(key.path)@2"])
        try #require(keyed.count == 65)
        let held = (29 ... 32).map { Self.psnr(keyed[$0], drawn) }
        // `--edit VIDEO --strength 0.5` of a drawn 2 s clip: the same frames, reworked from halfway.
        let (source, original) = try Self.clip("edit.mp4", from: 8, count: 33, in: farm)
        let edited = try await Self.render(farm, ["--prompt", Self.prompt, "--seconds", "2", "--edit", source.path, "--strength", "0.5"])
        try #require(edited.count == 33)
        let editPSNR = zip(edited, original).map { Self.psnr($0, $1) }
        let editRed = edited.filter { detector.detect(colour: red, in: $0).centroid != nil }.count
        // `--still`: one frame, a PNG.
        let still = try await Self.render(farm, ["--prompt", Self.prompt, "--still"])
        try #require(still.count == 1 && still[0].width == 64 && still[0].height == 64)
        let stillRed = detector.detect(colour: red, in: still[0]).centroid != nil
        try Self.strip([drawn] + keyed[28 ... 33] + [original[0], edited[0], original[32], edited[32], still[0]], "keyframe-edit-still")
        print("keyframe: frames 29…32 against the image: PSNR \(held.map { String(format: "%.1f", $0) }.joined(separator: ", ")) dB")
        print(String(format: "edit at strength 0.5: PSNR against the source %.1f–%.1f dB (mean %.1f), red in %d of 33 frames", editPSNR.min() ?? 0, editPSNR.max() ?? 0, editPSNR.reduce(0, +) / 33, editRed))
        print("still: red \(stillRed ? "found" : "not found") in the 64×64 PNG")
        #expect(Self.psnr(keyed[32], drawn) >= 18, "the keyframe's frame shows the image")
        #expect(editPSNR.reduce(0, +) / 33 >= 18 && editRed >= 30, "the edit keeps its source's content")
        #expect(stillRed, "the still shows the prompted colour")
    }

    @Test func aConnectionStartsAtTheFirstsEndAndEndsAtTheSecondsStart() async throws {
        let farm = try await Self.farm()
        defer { farm.stop() }
        let (a, first) = try Self.clip("a.mp4", from: 8, count: 33, in: farm)
        let (b, second) = try Self.clip("b.mp4", from: 40, count: 33, in: farm)
        let frames = try await Self.render(farm, ["--prompt", Self.prompt, "--seconds", "5", "--connect", a.path, b.path])
        try Self.strip([first[first.count - 1]] + stride(from: 0, to: frames.count, by: 8).map { frames[$0] } + [frames[frames.count - 1], second[0]], "connect")
        let start = Self.psnr(frames[0], first[first.count - 1]), end = Self.psnr(frames[frames.count - 1], second[0])
        print(String(format: "connect: first frame against A's last: PSNR %.1f dB; last frame against B's first: %.1f dB", start, end))
        #expect(start >= 18 && end >= 18)
    }

    @Test func aLoopsWrapPassesTheSeamMetric() async throws {
        let farm = try await Self.farm()
        defer { farm.stop() }
        let frames = try await Self.render(farm, ["--prompt", Self.prompt, "--seconds", "5", "--loop"])
        try Self.strip(Array(frames[(frames.count - 4)...]) + frames[0 ..< 4] + stride(from: 8, to: frames.count, by: 8).map { frames[$0] }, "loop")
        // The wrap pair (last frame → first) against every other pair.
        let seam = try #require(SeamMetric(frames: Self.values(frames), boundaries: [0], wraps: true))
        print(String(format: "loop: seam metric across the wrap %.3f", seam.ratio))
        #expect(seam.ratio <= 1.1)
    }

    @Test func aPromptTimelineChangesTheColourWhereItSays() async throws {
        let farm = try await Self.farm()
        defer { farm.stop() }
        let frames = try await Self.render(farm, [
            "--prompt", Self.prompt, "--seconds", "6", "--prompt-at", "3:a yellow ball moving rightwards on a navy background",
        ])
        try Self.strip(stride(from: 0, to: frames.count, by: 4).map { frames[$0] }, "timeline")
        let detector = try PaletteDetector(palette: try Self.palette())
        let (red, yellow) = (try detector.index(of: "red"), try detector.index(of: "yellow"))
        // Half a second is left out before the change and one second after it: the demo's windows
        // are 61 frames long, and a window's prompt mix follows its whole span. Each
        // span shows its colour (12 pixels or more, quality.py's rule) in at least 80 % of its
        // frames, there it covers more pixels than the other prompt's colour, and the other
        // colour shows in at most 20 % (timeline_colour.py's rule; the step-9,950 VAE kept a
        // reddish rim on the ball drawn yellow, red in 14 of 33 frames: README, "Sizes, stills,
        // prompt timelines and loops").
        for (span, wanted, other) in [(8 ..< 40, red, yellow), (64 ..< frames.count, yellow, red)] {
            let shown = span.filter { detector.detect(colour: wanted, in: frames[$0]).centroid != nil }.count
            let wrong = span.filter { detector.detect(colour: other, in: frames[$0]).centroid != nil }.count
            let dominant = span.filter { detector.detect(colour: wanted, in: frames[$0]).pixels > detector.detect(colour: other, in: frames[$0]).pixels }.count
            print("timeline: frames \(span): \(detector.palette[wanted].name) in \(shown), dominant in \(dominant), \(detector.palette[other].name) in \(wrong) of \(span.count)")
            #expect(Double(shown) >= 0.8 * Double(span.count) && Double(dominant) >= 0.8 * Double(span.count))
            #expect(Double(wrong) <= 0.2 * Double(span.count), "\(detector.palette[other].name) shows in the \(detector.palette[wanted].name) span")
        }
    }
}
