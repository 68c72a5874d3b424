import ReelTensor
import Testing

@testable import ReelModel

/// The feed-forward runs in token slices (1,024 at a time) past that many tokens;
/// its rows are independent, so slicing must not change the result.
struct FeedForwardSliceTests {
    @Test(arguments: [1, 8, 36])
    func slicedFeedForwardEqualsTheWholeOne(slice: Int) throws {
        let config = ModelPreset.tiny.transformer
        var weights = RandomWeights(seed: 7, recording: false)
        let block = try WanTransformerBlock("blocks.0", config: config, from: &weights)
        var rng = SeededRandom(seed: 8)
        let dim = config.inner_dim
        let x = rng.normalTensor([37, dim])
        let m = rng.normalTensor([3 * dim]).storage
        let (shift, scale, gate) = (m[0 ..< dim], m[dim ..< 2 * dim], m[2 * dim ..< 3 * dim])
        var whole = x, sliced = x
        try block.feedForward(&whole, shift: shift, scale: scale, gate: gate, slice: 37)
        try block.feedForward(&sliced, shift: shift, scale: scale, gate: gate, slice: slice)
        let diff = sliced.maxAbsDifference(whole)
        print("feed-forward in slices of \(slice): maxdiff to whole \(diff)")
        #expect(whole.maxAbsDifference(x) > 0.01)
        // Not 0: the rows in one GEMM call can change a row's rounding (OpenBLAS's
        // Haswell kernels: 1.2e-6 here at slices of 1), but only at float rounding.
        #expect(diff < 1e-5)
    }
}
