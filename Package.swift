// swift-tools-version:6.1
import PackageDescription

// Imports point downward only:
//   C shims → ReelTensor → ReelModel → ReelPlan → (store, wire) → (coordinator, worker) → media → ReelCLI
let package = Package(
    name: "Reel",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "reel", targets: ["ReelCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based", exact: "2.0.1"),
    ],
    targets: [
        // MARK: system libraries (C pointers stay in the module that wraps each)
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        // libzmq's .pc carries a flag SwiftPM rejects, so no pkgConfig here.
        .systemLibrary(name: "CZeroMQ", providers: [.apt(["libzmq3-dev"])]),
        .systemLibrary(name: "CPostgres", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(
            name: "CLibAV", pkgConfig: "libavformat",
            providers: [.apt(["libavcodec-dev", "libavformat-dev", "libavutil-dev", "libswscale-dev"])]),

        // MARK: engine
        .target(name: "ReelTensor", dependencies: ["COpenBLAS"], swiftSettings: optimized),
        .target(name: "ReelModel", dependencies: ["ReelTensor"], swiftSettings: optimized),

        // MARK: long-video plan (pure)
        .target(name: "ReelPlan", dependencies: []),

        // MARK: media (libav)
        .target(name: "ReelMedia", dependencies: ["CLibAV"], swiftSettings: optimized),

        // MARK: benchmarks and CLI
        .target(name: "ReelBench", dependencies: ["ReelModel", "ReelTensor", "ReelMedia"]),
        .executableTarget(
            name: "ReelCLI",
            dependencies: [
                "ReelTensor", "ReelModel", "ReelPlan", "ReelMedia", "ReelBench",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),

        // MARK: tests
        .testTarget(name: "ReelTensorTests", dependencies: ["ReelTensor"]),
        .testTarget(
            name: "ReelModelTests", dependencies: ["ReelModel", "ReelTensor"],
            resources: [.copy("Fixtures")]),
        .testTarget(
            name: "ReelPlanTests",
            dependencies: ["ReelPlan", .product(name: "PropertyBased", package: "swift-property-based")],
            exclude: ["philox_reference.py"]),
        .testTarget(name: "ReelMediaTests", dependencies: ["ReelMedia"]),
        .testTarget(name: "ReelCLITests", dependencies: ["ReelCLI"]),
    ],
    swiftLanguageModes: [.v6]
)

/// The kernels are hot loops over unsafe buffers; debug builds (what `swift test`
/// uses) would otherwise run them ~50× slower and turn parity tests into minutes.
var optimized: [SwiftSetting] { [.unsafeFlags(["-Ounchecked"])] }
