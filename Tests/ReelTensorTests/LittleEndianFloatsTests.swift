import ReelTensor
import Testing

@Suite struct LittleEndianFloatsTests {
    /// `allFinite` reads exponent bits: every NaN and infinity is caught wherever it
    /// sits (the vector body and the tail), at any alignment; finite extremes pass.
    @Test func allFiniteFindsEveryNonFiniteValue() {
        let finite: [Float] = [0, -0, 1, -1, .greatestFiniteMagnitude, -.greatestFiniteMagnitude,
                               .leastNonzeroMagnitude, .leastNormalMagnitude, 3.3e38, -1e-45]
        let bad: [Float] = [.nan, -.nan, .signalingNaN, .infinity, -.infinity, Float(bitPattern: 0x7fc0_0001)]
        for offset in 0 ..< 4 {
            for length in [1, 7, 8, 9, 33] {
                var values = (0 ..< length).map { finite[$0 % finite.count] }
                #expect(Self.allFinite(values, offset: offset), "finite values, offset \(offset), length \(length)")
                for position in [0, length / 2, length - 1] {
                    for value in bad {
                        let kept = values[position]
                        values[position] = value
                        #expect(!Self.allFinite(values, offset: offset), "\(value) at \(position) of \(length), offset \(offset)")
                        values[position] = kept
                    }
                }
            }
        }
    }

    /// The bytes of `values` placed `offset` bytes into a buffer, so misaligned reads are exercised.
    private static func allFinite(_ values: [Float], offset: Int) -> Bool {
        let bytes = LittleEndianFloats.bytes(values)
        let padded = [UInt8](repeating: 0xff, count: offset) + bytes
        return padded.withUnsafeBytes { LittleEndianFloats.allFinite(UnsafeRawBufferPointer(rebasing: $0[offset...])) }
    }
}
