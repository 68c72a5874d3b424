// swift-tools-version:6.1
import PackageDescription

// Imports point downward only (each line's modules import only those on lines above):
//   ReelPlan (no dependencies); C shims (COpenBLAS, CZeroMQ, CPostgres, CLibAV, CSentencePiece)
//   ReelTensor → COpenBLAS;  ReelMedia → CLibAV;  ReelText → CSentencePiece
//   ReelModel → ReelTensor, ReelText;  ReelStore → ReelPlan, ReelTensor, CPostgres;  ReelWire → ReelTensor, CZeroMQ
//   ReelWorker → ReelModel, ReelPlan, ReelWire;  ReelCoordinator → ReelPlan, ReelStore, ReelWire, ReelText (its
//   prompt cleaning; not the engine)
//   ReelFarm → ReelCoordinator, ReelWorker, ReelStore, ReelMedia;  ReelBench → ReelModel, ReelMedia
//   ReelCLI → all of them
//
// Linux only (built and tested on Debian 12): the code reads /proc, runs PostgreSQL
// from /usr/lib/postgresql/<version>/bin and names apt packages. There is no
// `platforms:` entry because SwiftPM's list only sets Apple minimum versions.
let package = Package(
    name: "Reel",
    products: [
        .executable(name: "reel", targets: ["ReelCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based", exact: "2.0.1"),
        .package(url: "https://github.com/apple/swift-protobuf", exact: "1.39.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", exact: "2.28.1"),
        .package(url: "https://github.com/apple/swift-log", exact: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", exact: "2.13.0"),
        // TLS for the HTTP API (HummingbirdTLS's certificate and key types).
        .package(url: "https://github.com/apple/swift-nio-ssl", exact: "2.37.6"),
        .package(url: "https://github.com/apple/swift-metrics", exact: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", exact: "2.4.1"),
    ],
    targets: [
        // MARK: system libraries (C pointers stay in the module that wraps each)
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        // libzmq's .pc carries a flag SwiftPM rejects, so no pkgConfig here.
        .systemLibrary(name: "CZeroMQ", providers: [.apt(["libzmq3-dev"])]),
        .systemLibrary(name: "CPostgres", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        // libcrypto (libssl-dev, a dependency of libpq-dev) for its SHA-256 only.
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(
            name: "CLibAV", pkgConfig: "libavformat",
            providers: [.apt(["libavcodec-dev", "libavformat-dev", "libavutil-dev", "libswscale-dev"])]),

        // libsentencepiece's API is C++, so this shim is a small compiled C++ target with
        // a C header (include/CSentencePiece.h) rather than a module map over the library.
        .target(
            name: "CSentencePiece",
            linkerSettings: [.linkedLibrary("sentencepiece"), .linkedLibrary("stdc++")]),

        // MARK: engine
        // umT5's tokenizer (SentencePiece) and WanPipeline's prompt cleaning.
        .target(name: "ReelText", dependencies: ["CSentencePiece"]),
        .target(name: "ReelHash", dependencies: ["CCrypto"]),
        .target(name: "ReelTensor", dependencies: ["COpenBLAS", "ReelHash"], swiftSettings: optimized),
        .target(name: "ReelModel", dependencies: ["ReelTensor", "ReelHash", "ReelText"], swiftSettings: optimized),

        // MARK: long-video plan (pure)
        .target(name: "ReelPlan", dependencies: []),

        // MARK: farm state (PostgreSQL) and blobs
        .target(name: "ReelStore", dependencies: ["CPostgres", "ReelPlan", "ReelTensor", "ReelHash"]),

        // MARK: farm wire (protobuf envelopes + raw tensor frames over ZeroMQ)
        .target(
            name: "ReelWire",
            dependencies: ["CZeroMQ", "ReelTensor", "ReelHash", .product(name: "SwiftProtobuf", package: "swift-protobuf")]),

        // MARK: farm
        .target(
            name: "ReelWorker",
            dependencies: [
                "ReelModel", "ReelPlan", "ReelTensor", "ReelWire", "ReelHash",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]),
        .target(
            name: "ReelCoordinator",
            dependencies: [
                "ReelPlan", "ReelStore", "ReelTensor", "ReelWire", "ReelHash",
                // WanPipeline's prompt cleaning only, for the embeddings cache's key.
                "ReelText",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]),
        .target(
            name: "ReelFarm",
            dependencies: [
                "ReelCoordinator", "ReelWorker", "ReelStore", "ReelMedia", "ReelWire",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]),

        // MARK: media (libav)
        .target(name: "ReelMedia", dependencies: ["CLibAV"], swiftSettings: optimized),

        // MARK: benchmarks and CLI
        .target(name: "ReelBench", dependencies: ["ReelModel", "ReelTensor", "ReelMedia"]),
        .executableTarget(
            name: "ReelCLI",
            dependencies: [
                "ReelTensor", "ReelModel", "ReelText", "ReelPlan", "ReelMedia", "ReelBench", "ReelCoordinator", "ReelWorker", "ReelFarm",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            // The CLI itself is baseline code, so it can say which CPU features are missing.
            swiftSettings: haswell ? [.define("REEL_HASWELL")] : []),

        // MARK: tests
        // The fuzz loop and input mutations shared by the decoders' fuzz tests; only
        // test targets depend on it, so it is never part of `reel`.
        .target(name: "ReelFuzzing", dependencies: ["ReelTensor"], path: "Tests/ReelFuzzing"),
        .testTarget(
            // Fixtures: the stand-in embedder's vectors from Deploy/train/standin_embed.py.
            name: "ReelTensorTests", dependencies: ["ReelTensor", "ReelHash", "ReelFuzzing"], resources: [.copy("Fixtures")]),
        .testTarget(
            // ReelPlan for the farm's decode chunk layout, which the VAE's exactness tests decode;
            // ReelText's tokenizer is tested here too, on the umT5 fixtures' SentencePiece model.
            name: "ReelModelTests", dependencies: ["ReelModel", "ReelTensor", "ReelText", "ReelPlan", "ReelFuzzing"],
            resources: [.copy("Fixtures")]),
        .testTarget(
            name: "ReelPlanTests",
            dependencies: ["ReelPlan", .product(name: "PropertyBased", package: "swift-property-based")],
            exclude: ["philox_reference.py"]),
        .testTarget(name: "ReelStoreTests", dependencies: ["ReelStore", "ReelPlan", "ReelHash"]),
        // Fixtures: the adherence detector's verdicts from Deploy/train/quality.py.
        .testTarget(name: "ReelMediaTests", dependencies: ["ReelMedia"], resources: [.copy("Fixtures")]),
        .testTarget(
            name: "ReelWireTests",
            dependencies: [
                "ReelWire", "ReelTensor", "ReelHash", "CZeroMQ", "ReelFuzzing", .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]),
        .testTarget(name: "ReelCLITests", dependencies: ["ReelCLI"]),
        .testTarget(
            name: "ReelCoordinatorTests",
            dependencies: [
                "ReelCoordinator", "ReelPlan", "ReelStore", "ReelWire", "ReelFuzzing", .product(name: "Logging", package: "swift-log"),
            ]),
        .testTarget(
            name: "ReelFarmTests",
            dependencies: [
                "ReelFarm", "ReelCoordinator", "ReelWorker", "ReelModel", "ReelPlan", "ReelStore", "ReelTensor", "ReelWire", "ReelMedia", "ReelHash",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Logging", package: "swift-log"),
            ]),
    ],
    swiftLanguageModes: [.v6]
)

/// The kernels are hot loops over unsafe buffers; debug builds (what `swift test`
/// uses) would otherwise run them ~50× slower and turn parity tests into minutes.
/// On x86-64 they target Haswell-class CPUs (AVX2 and FMA: Intel Core since 2013,
/// AMD since Zen), so an eight-lane SIMD operation is one instruction instead of
/// two SSE ones; `reel` refuses to start on a CPU without them, and
/// `REEL_GENERIC_X86_64=1 swift build` builds for any x86-64 CPU instead.
///
/// `-Ounchecked` removes every `precondition`, array bounds check and overflow trap
/// in these three modules, and they also parse untrusted input: safetensors headers
/// (ReelTensor), model configs and checkpoint shapes (ReelModel), and video files
/// (ReelMedia). The flag stays module-wide, because the kernels are most of each
/// module and splitting them out would cut the modules in two along no other line;
/// instead, no parsing path relies on a precondition or on trapping arithmetic.
/// Every size, count and shape from a file or a peer is checked by code that throws
/// (`if … { throw }`, which `-Ounchecked` keeps), with overflow-checked products
/// (`Tensor.elementCount(of:)`, `multipliedReportingOverflow`) and upper bounds on
/// config values, so that the preconditions left are kernel-internal ones on
/// inputs already validated. The fuzz tests (`swift test --filter Fuzz`) feed the
/// parsers damaged and hostile inputs to hold this.
var optimized: [SwiftSetting] {
    haswell ? [.unsafeFlags(["-Ounchecked", "-target-cpu", "haswell"])] : [.unsafeFlags(["-Ounchecked"])]
}

var haswell: Bool {
    #if arch(x86_64)
    Context.environment["REEL_GENERIC_X86_64"] == nil
    #else
    false
    #endif
}
