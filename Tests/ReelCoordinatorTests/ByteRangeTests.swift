import ReelCoordinator
import Testing

/// `Range` headers against RFC 9110 §14's rules and its examples (a 10,000-byte body).
struct ByteRangeTests {
    @Test func theThreeFormsOfASingleRange() {
        // RFC 9110 §14.1.2's examples: the first 500 bytes, the second 500, the final 500.
        #expect(ByteRange(header: "bytes=0-499", length: 10_000) == .partial(0 ... 499))
        #expect(ByteRange(header: "bytes=500-999", length: 10_000) == .partial(500 ... 999))
        #expect(ByteRange(header: "bytes=-500", length: 10_000) == .partial(9500 ... 9999))
        #expect(ByteRange(header: "bytes=9500-", length: 10_000) == .partial(9500 ... 9999))
        #expect(ByteRange(header: "bytes=0-0", length: 10_000) == .partial(0 ... 0))
        #expect(ByteRange(header: "bytes=-1", length: 10_000) == .partial(9999 ... 9999))
        #expect(ByteRange(header: "bytes=500-999", length: 10_000).contentRange(length: 10_000) == "bytes 500-999/10000")
    }

    @Test func endsPastTheBodyAreCut() {
        #expect(ByteRange(header: "bytes=9000-20000", length: 10_000) == .partial(9000 ... 9999))
        // A suffix longer than the body is the whole body, still as a range.
        #expect(ByteRange(header: "bytes=-20000", length: 10_000) == .partial(0 ... 9999))
        #expect(ByteRange(header: "bytes=0-99999999999999999999999", length: 10_000) == .partial(0 ... 9999))
    }

    @Test func unsatisfiableRanges() {
        #expect(ByteRange(header: "bytes=10000-", length: 10_000) == .unsatisfiable)
        #expect(ByteRange(header: "bytes=10000-10005", length: 10_000) == .unsatisfiable)
        #expect(ByteRange(header: "bytes=-0", length: 10_000) == .unsatisfiable)
        #expect(ByteRange(header: "bytes=0-", length: 0) == .unsatisfiable)
        #expect(ByteRange(header: "bytes=99999999999999999999999-", length: 10_000) == .unsatisfiable)
        #expect(ByteRange.unsatisfiable.contentRange(length: 10_000) == "bytes */10000")
    }

    @Test func rangesThisServerIgnoresGetTheWholeBody() {
        #expect(ByteRange(header: nil, length: 10_000) == .whole)
        #expect(ByteRange(header: "bytes=0-1,5-6", length: 10_000) == .whole, "multipart is not served")
        #expect(ByteRange(header: "items=0-5", length: 10_000) == .whole)
        #expect(ByteRange(header: "bytes=5-1", length: 10_000) == .whole, "last before first is not a valid range-spec")
        #expect(ByteRange(header: "bytes=a-b", length: 10_000) == .whole)
        #expect(ByteRange(header: "bytes=-", length: 10_000) == .whole)
        #expect(ByteRange(header: "bytes=+1-5", length: 10_000) == .whole)
        #expect(ByteRange.whole.contentRange(length: 10_000) == nil)
    }
}
