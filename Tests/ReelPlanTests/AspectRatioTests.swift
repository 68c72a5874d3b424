import Testing
import ReelPlan

/// Sizes and aspect ratios: any multiple of the spatial unit in either
/// orientation, refused sizes naming the nearest valid ones, and spatial tiles
/// chosen automatically above the model's native size (832×480 for Wan 2.1).
/// Expected layouts are worked out by hand in the comments.
@Suite struct AspectRatioTests {
    let wan = ModelGeometry.wan21_1_3B

    func plan(_ width: Int, _ height: Int, frames: Int = 81, tile: TileSpec? = nil) throws -> Plan {
        try JobRequest(model: "wan", prompt: "a fox", frames: frames, width: width, height: height, plan: PlanConfig(tile: tile))
            .makePlan(model: wan)
    }

    func spans(_ spans: [Span]) -> [[Int]] { spans.map { [$0.start, $0.end] } }

    @Test func anInvalidSizeIsRefusedWithTheNearestValidSizes() {
        func message(_ width: Int, _ height: Int) -> String? {
            do throws(PlanError) {
                _ = try ClipGeometry(job: JobSpec(frames: 81, fps: 16, width: width, height: height), model: wan)
                return nil
            } catch {
                return error.description
            }
        }
        #expect(message(832, 481) == "832x481 is not a multiple of 16; nearest: 832x480, 832x496.")
        // Both sides off by one: 832x480 moves each side by 1; the next three move one side by 15.
        #expect(message(833, 481) == "833x481 is not a multiple of 16; nearest: 832x480, 832x496, 848x480, 848x496.")
        #expect(message(481, 832) == "481x832 is not a multiple of 16; nearest: 480x832, 496x832.")
        #expect(message(832, 480) == nil)
        #expect(message(480, 832) == nil)
    }

    @Test func portraitAndLandscapeAtTheNativeSizeAreOneTileWithTheSameWindows() throws {
        let landscape = try plan(832, 480), portrait = try plan(480, 832)
        #expect(landscape.tiles.count == 1 && portrait.tiles.count == 1)
        #expect(landscape.latent.dimensions == [16, 21, 60, 104])
        #expect(portrait.latent.dimensions == [16, 21, 104, 60])
        #expect(landscape.geometry.tokens == portrait.geometry.tokens)
        #expect(spans(landscape.windows) == spans(portrait.windows))
        // Below the native size: one tile whatever the shape.
        #expect(try plan(256, 640).tiles.count == 1)
        #expect(try plan(1664, 240).tiles.count == 1)  // as many tokens as 832×480
    }

    @Test func aboveTheNativeSizeTilesOfTheNativeSizeAreChosenInTheFramesOrientation() throws {
        // 1280×720 is 160 × 90 latent. Landscape tiles 104 × 60, overlap 8 (60 / 8 = 7.5 → 4 patches):
        // columns [0, 104), [56, 160); rows [0, 60), [30, 90).
        let landscape = try plan(1280, 720)
        #expect(landscape.config.tile == TileSpec(width: 104, height: 60, overlap: 8))
        #expect(spans(landscape.tileColumns) == [[0, 104], [56, 160]])
        #expect(spans(landscape.tileRows) == [[0, 60], [30, 90]])
        // 720×1280: portrait tiles 60 × 104, the same cut turned.
        let portrait = try plan(720, 1280)
        #expect(portrait.config.tile == TileSpec(width: 60, height: 104, overlap: 8))
        #expect(spans(portrait.tileColumns) == [[0, 60], [30, 90]])
        #expect(spans(portrait.tileRows) == [[0, 104], [56, 160]])
    }

    @Test func a2048SquareStillIsCutIntoFifteenNativeTiles() throws {
        // One pixel frame, 256 × 256 latent. Columns of 104 at stride 96: 0, 96, then
        // the last moved back to 152. Rows of 60 at stride 52: 0, 52, 104, 156, then 196.
        let still = try plan(2048, 2048, frames: 1)
        #expect(still.latent.dimensions == [16, 1, 256, 256])
        #expect(still.windows.count == 1)
        #expect(spans(still.tileColumns) == [[0, 104], [96, 200], [152, 256]])
        #expect(spans(still.tileRows) == [[0, 60], [52, 112], [104, 164], [156, 216], [196, 256]])
        #expect(still.tiles.count == 15)
        #expect(still.regions.count == 15)
    }

    @Test func tilesTheUserSetAreKept() throws {
        let set = TileSpec(width: 64, height: 32, overlap: 4)
        #expect(try plan(1280, 720, tile: set).config.tile == set)
        // Also below the native size, where nothing would be chosen.
        #expect(try plan(832, 480, tile: set).config.tile == set)
        // Plan itself never tiles on its own: only a request does.
        let geometry = try ClipGeometry(job: JobSpec(frames: 81, fps: 16, width: 1280, height: 720), model: wan)
        #expect(try Plan(geometry: geometry).tiles.count == 1)
    }

    @Test func admissionCountsTheAutomaticTiles() {
        let request = JobRequest(model: "wan", prompt: "a fox", frames: 1, width: 2048, height: 2048)
        #expect(throws: AdmissionError.self) { try AdmissionLimits(maxTiles: 14).check(request, model: wan) }
        #expect(throws: Never.self) { try AdmissionLimits(maxTiles: 15).check(request, model: wan) }
    }
}
