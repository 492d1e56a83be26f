// swift-tools-version: 6.0
import PackageDescription

// Every target gets the same settings (Hummingbird and swift-kafka-client do this in a loop).
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "Pulse",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "pulse-gateway", targets: ["PulseGateway"]),
        .executable(name: "pulse-extractor", targets: ["PulseExtractor"]),
        .executable(name: "pulse-snapshotter", targets: ["PulseSnapshotter"]),
        .executable(name: "pulse-trainer", targets: ["PulseTrainer"]),
        .executable(name: "pulse-evaluator", targets: ["PulseEvaluator"]),
        .executable(name: "pulse-promoter", targets: ["PulsePromoter"]),
        .executable(name: "pulse-scorer", targets: ["PulseScorer"]),
        .executable(name: "pulse-drift-monitor", targets: ["PulseDriftMonitor"]),
        .executable(name: "pulse", targets: ["PulseCLI"]),
    ],
    targets: [
        // C libraries from Debian packages. Variadic functions get static inline wrappers in shim.h.
        .systemLibrary(name: "CLibPQ", path: "Sources/CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "COpenSSL", path: "Sources/COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CZstd", path: "Sources/CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "CRabbitMQ", path: "Sources/CRabbitMQ", pkgConfig: "librabbitmq", providers: [.apt(["librabbitmq-dev"])]),
        .systemLibrary(name: "CMicroHTTPD", path: "Sources/CMicroHTTPD", pkgConfig: "libmicrohttpd", providers: [.apt(["libmicrohttpd-dev"])]),
        .systemLibrary(name: "CXGBoost", path: "Sources/CXGBoost", pkgConfig: "xgboost", providers: [.apt(["libxgboost-dev"])]),
        // Debian's liblinear-dev ships no pkg-config file: the module map links -llinear.
        .systemLibrary(name: "CLinear", path: "Sources/CLinear", providers: [.apt(["liblinear-dev"])]),

        .target(name: "PulseContracts", swiftSettings: swiftSettings),
        .target(name: "PulseCore", dependencies: ["PulseContracts"], swiftSettings: swiftSettings),
        .target(
            name: "PulseStorage",
            dependencies: ["PulseCore", "PulseContracts", "CLibPQ", "COpenSSL", "CZstd"],
            resources: [.copy("Migrations")],
            swiftSettings: swiftSettings
        ),
        .target(name: "PulseMessaging", dependencies: ["PulseCore", "PulseContracts", "CRabbitMQ"], swiftSettings: swiftSettings),
        .target(name: "PulseConnectors", dependencies: ["PulseCore", "PulseContracts", "PulseStorage"], swiftSettings: swiftSettings),
        .target(name: "PulseML", dependencies: ["PulseCore", "PulseContracts", "CXGBoost", "CLinear"], swiftSettings: swiftSettings),
        .target(name: "PulseHTTP", dependencies: ["PulseCore", "PulseContracts", "CMicroHTTPD"], swiftSettings: swiftSettings),
        .target(
            name: "PulseRuntime",
            dependencies: ["PulseContracts", "PulseCore", "PulseStorage", "PulseMessaging", "PulseConnectors", "PulseML", "PulseHTTP"],
            swiftSettings: swiftSettings
        ),

        .executableTarget(name: "PulseGateway", dependencies: ["PulseRuntime"], swiftSettings: swiftSettings),
        .executableTarget(name: "PulseExtractor", dependencies: ["PulseRuntime"], swiftSettings: swiftSettings),
        .executableTarget(name: "PulseSnapshotter", dependencies: ["PulseRuntime"], swiftSettings: swiftSettings),
        .executableTarget(name: "PulseTrainer", dependencies: ["PulseRuntime"], swiftSettings: swiftSettings),
        .executableTarget(name: "PulseEvaluator", dependencies: ["PulseRuntime"], swiftSettings: swiftSettings),
        .executableTarget(name: "PulsePromoter", dependencies: ["PulseRuntime"], swiftSettings: swiftSettings),
        .executableTarget(name: "PulseScorer", dependencies: ["PulseRuntime"], swiftSettings: swiftSettings),
        .executableTarget(name: "PulseDriftMonitor", dependencies: ["PulseRuntime"], swiftSettings: swiftSettings),
        .executableTarget(name: "PulseCLI", dependencies: ["PulseRuntime"], swiftSettings: swiftSettings),

        .testTarget(name: "PulseContractsTests", dependencies: ["PulseContracts"], swiftSettings: swiftSettings),
        .testTarget(name: "PulseCoreTests", dependencies: ["PulseCore"], swiftSettings: swiftSettings),
        .testTarget(name: "PulseStorageTests", dependencies: ["PulseStorage"], swiftSettings: swiftSettings),
        .testTarget(name: "PulseMessagingTests", dependencies: ["PulseMessaging"], swiftSettings: swiftSettings),
        .testTarget(name: "PulseConnectorsTests", dependencies: ["PulseConnectors", "PulseStorage"], swiftSettings: swiftSettings),
        .testTarget(name: "PulseMLTests", dependencies: ["PulseML"], swiftSettings: swiftSettings),
        .testTarget(name: "PulseHTTPTests", dependencies: ["PulseHTTP"], swiftSettings: swiftSettings),
        .testTarget(name: "PulseRuntimeTests", dependencies: ["PulseRuntime"], swiftSettings: swiftSettings),
    ]
)
