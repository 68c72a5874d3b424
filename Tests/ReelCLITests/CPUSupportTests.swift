import Testing
@testable import ReelCLI

/// The start-up check that stands between a CPU without AVX2/FMA and an
/// illegal-instruction crash.
struct CPUSupportTests {
    let older = "processor\t: 0\nflags\t\t: fpu vme sse sse2 ssse3 sse4_1 sse4_2 avx\nbogomips\t: 4000\n"
    let newer = "processor\t: 0\nflags\t\t: fpu sse sse2 avx fma avx2 avx512f\n"

    @Test func aCPUWithoutTheFeaturesIsNamedWhatItLacks() {
        #expect(CPUSupport.missing(cpuinfo: older) == CPUSupport.required)
        #expect(CPUSupport.missing(cpuinfo: newer) == [])
        let text = CPUSupport.Unsupported(missing: ["avx2", "fma"]).description
        #expect(text.contains("lacks avx2, fma") && text.contains("REEL_GENERIC_X86_64=1"))
    }

    @Test func noCpuinfoMeansNoObjection() {
        #expect(CPUSupport.missing(cpuinfo: nil) == [])
        #expect(CPUSupport.missing(cpuinfo: "processor : 0\n") == [])
    }

    @Test func thisMachineRunsTheBuild() {
        // The test process itself runs the kernels, so this CPU must pass.
        #expect(CPUSupport.missing() == [])
    }
}
