import ReelModel
import ReelTensor
import Testing

/// What a worker reads from the headers to decide whether it can hold the text
/// encoder (issue 13: the memory policy counts the encoder) equals what loading
/// the weights then keeps.
struct UMT5MemoryTests {
    @Test(arguments: ["fp32_tiny", "bf16_tiny"])
    func residentBytesFromHeadersEqualTheLoadedWeights(_ name: String) throws {
        let folder = try TextEncoderFolder(path: try UMT5Fixture(name: name).assembledFolder())
        for storage in UMT5WeightStorage.allCases {
            let estimate = try folder.residentBytes(storage: storage)
            let loaded = try folder.load(storage: storage).weightBytes
            print("\(name) \(storage.rawValue): \(estimate) bytes from the headers, \(loaded) loaded")
            #expect(estimate == loaded, "\(name) with --weights \(storage.rawValue)")
        }
    }
}
