import Foundation

/// The CPU features the engine's kernels were compiled to use (see `Package.swift`):
/// checked before anything runs, so a CPU without them gets a sentence instead of
/// an illegal-instruction crash in the middle of a job.
enum CPUSupport {
    #if REEL_HASWELL
    static let required = ["avx2", "fma"]
    #else
    static let required: [String] = []
    #endif

    /// The required features this CPU lacks, from `/proc/cpuinfo`'s `flags`
    /// (empty where that file does not exist or says nothing).
    static func missing(cpuinfo: String? = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) -> [String] {
        guard !required.isEmpty, let cpuinfo,
            let line = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
            let colon = line.firstIndex(of: ":")
        else { return [] }
        let flags = Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
        return required.filter { !flags.contains($0) }
    }

    /// What `reel` exits with when ``missing(cpuinfo:)`` is not empty.
    struct Unsupported: Error, CustomStringConvertible {
        let missing: [String]
        var description: String {
            "this build's kernels need an x86-64 CPU with AVX2 and FMA (Intel Haswell, AMD Zen or later), "
                + "and this CPU lacks \(missing.joined(separator: ", ")). "
                + "Build for any x86-64 CPU with `REEL_GENERIC_X86_64=1 swift build -c release` (slower kernels)."
        }
    }
}
