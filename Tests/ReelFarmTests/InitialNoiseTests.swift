import ReelPlan
import ReelWire
@testable import ReelWorker
import Testing

/// A worker draws a shard's initial noise from the assignment's box: the same
/// values as the clip's noise over that box, and a box that is not inside its
/// latent, or too large to allocate, is refused as invalid input (never a trap).
@Suite struct InitialNoiseTests {
    static func box(
        frames: (UInt32, UInt32) = (3, 4), rows: (UInt32, UInt32) = (2, 5), columns: (UInt32, UInt32) = (1, 6),
        channels: UInt32 = 4, latent: (UInt32, UInt32, UInt32) = (9, 8, 8), cyclic: Bool = false
    ) -> Reel_V1_LatentBox {
        var box = Reel_V1_LatentBox()
        (box.frameStart, box.frameLength) = frames
        (box.rowStart, box.rowLength) = rows
        (box.columnStart, box.columnLength) = columns
        box.channels = channels
        (box.latentFrames, box.latentRows, box.latentColumns) = latent
        box.framesCyclic = cyclic
        return box
    }

    @Test func drawsTheClipsNoiseOverTheBox() throws {
        for cyclic in [false, true] {
            let wire = Self.box(frames: cyclic ? (7, 4) : (3, 4), cyclic: cyclic)
            let latents = try InitialNoise(seed: 99, box: wire).latents()
            #expect(latents.shape == [4, 4, 5, 6])
            let expected = LatentNoise(seed: 99, shape: LatentShape(channels: 4, frames: 9, height: 8, width: 8)).values(in: LatentBox(
                frames: Span(start: cyclic ? 7 : 3, length: 4, axisLength: 9, isCyclic: cyclic), rows: Span(start: 2, length: 5, axisLength: 8),
                columns: Span(start: 1, length: 6, axisLength: 8), channels: 4))
            #expect(latents.storage == expected)
        }
    }

    @Test func boxesOutsideTheirLatentOrTooLargeAreRefused() {
        let bad = [
            Self.box(frames: (6, 4)),  // runs past the end of a non-cyclic axis
            Self.box(rows: (5, 4)),
            Self.box(columns: (0, 9)),
            Self.box(frames: (9, 1)),  // starts outside
            Self.box(channels: 0),
            Self.box(
                frames: (0, 1 << 20), rows: (0, 1 << 20), columns: (0, 1 << 20), channels: 1 << 20,
                latent: (1 << 20, 1 << 20, 1 << 20)),  // 2^80 values: must not overflow
            Self.box(frames: (0, 64), rows: (0, 1024), columns: (0, 1024), channels: 16, latent: (64, 1024, 1024)),  // 2^30 values
        ]
        for wire in bad {
            #expect(throws: WorkerError.self, "\(InitialNoise.describe(wire))") { try InitialNoise(seed: 1, box: wire) }
        }
    }
}
