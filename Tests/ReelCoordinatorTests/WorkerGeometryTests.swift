import ReelPlan
import ReelWire
import Testing

@testable import ReelCoordinator

/// A worker's hello describes its models; the coordinator sizes allocations from
/// those numbers, so it refuses a geometry whose products would exhaust memory.
@Suite struct WorkerGeometryTests {
    /// Wan 2.1 1.3B's geometry as a worker announces it.
    static func info() -> Reel_V1_ModelInfo {
        let wan = ModelGeometry.wan21_1_3B
        var info = Reel_V1_ModelInfo()
        info.name = "wan"
        info.latentChannels = UInt32(wan.latentChannels)
        info.temporalStride = UInt32(wan.temporalStride)
        info.spatialStride = UInt32(wan.spatialStride)
        (info.patchFrames, info.patchHeight, info.patchWidth) = (1, 2, 2)
        (info.layers, info.width, info.ffnWidth, info.heads) = (UInt32(wan.layers), UInt32(wan.width), UInt32(wan.ffnWidth), UInt32(wan.heads))
        (info.textTokens, info.textDim) = (UInt32(wan.textTokens), UInt32(wan.textDim))
        return info
    }

    @Test func realGeometryIsAccepted() {
        #expect(CoordinatorCore.geometry(Self.info())?.textDim == 4096)
    }

    /// Each value is within 2²⁰, but 2²⁰ × 2²⁰ text embeddings would be 4 TiB for
    /// the stand-in embedder to fill on the loop at the first submission.
    @Test func geometriesWhoseProductsWouldExhaustMemoryAreRefused() {
        var text = Self.info()
        (text.textTokens, text.textDim) = (1 << 20, 1 << 20)
        #expect(CoordinatorCore.geometry(text) == nil)
        var channels = Self.info()
        channels.latentChannels = 1 << 20
        #expect(CoordinatorCore.geometry(channels) == nil)
    }
}
