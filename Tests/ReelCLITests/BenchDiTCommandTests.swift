import ArgumentParser
import Testing
@testable import ReelBench
@testable import ReelCLI

/// `reel bench dit`'s flags and how rounds against PyTorch are summarised.
struct BenchDiTCommandTests {
    @Test func roundsAreParsedAndZeroIsRefusedNamingTheFlag() throws {
        #expect(try BenchDiTCommand.parse(["--torch", "--rounds", "5"]).rounds == 5)
        #expect(try BenchDiTCommand.parse([]).rounds == 3)
        do {
            _ = try BenchDiTCommand.parse(["--torch", "--rounds", "0"])
            Issue.record("--rounds 0 was accepted")
        } catch {
            #expect(BenchDiTCommand.message(for: error).contains("--rounds"))
        }
    }

    /// An even number of rounds must not report the better of the middle two.
    @Test func medianOfAnEvenCountAveragesTheMiddleTwo() {
        #expect(DiTBenchmark.median([1.10, 0.90, 1.00]) == 1.00)
        #expect(DiTBenchmark.median([1.20, 1.00]) == 1.10)
        #expect(DiTBenchmark.median([4, 1, 3, 2]) == 2.5)
    }
}
