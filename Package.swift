// swift-tools-version:6.2
// Pakit: sovereign, content-addressed storage for BelizeChain.
// The folder tells the architecture: shared/ modules, one folder per service
// (library + thin executable), cli/, tools/, tests/. See docs/design.md.
import PackageDescription

let strict: [SwiftSetting] = [.swiftLanguageMode(.v6)]

let package = Package(
    name: "pakit",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "pakit", targets: ["PakitCLI"]),
        .executable(name: "pakit-storage", targets: ["PakitStorage"]),
        .executable(name: "pakit-prover", targets: ["PakitProver"]),
        .executable(name: "pakit-mesh-gateway", targets: ["PakitMeshGateway"]),
        .executable(name: "pakit-chain-relay", targets: ["PakitChainRelay"]),
        .executable(name: "pakit-lora-bridge", targets: ["PakitLoRaBridge"]),
        .executable(name: "pakit-bench", targets: ["PakitBench"]),
        // Development stand-in, not a product service: simulated Meshtastic devices serving the
        // real client stream API, for the bridge's tests, `pakit up --radio-sim` and the benchmark.
        .executable(name: "pakit-lora-sim", targets: ["PakitLoRaSim"]),
        // Test fixture, not shipped (the Dockerfile builds the products above by name): a real
        // job worker process the runtime tests kill mid-job. A product so `swift build` names
        // the binary as the tests look for it (`BuiltProduct.path`).
        .executable(name: "pakit-job-worker-fixture", targets: ["PakitJobWorkerFixture"]),
        // Test tool, not shipped: a hostile mesh member (forged, replayed, spam and garbage
        // gossip) for the mesh process tests and `pakit-bench mesh`.
        .executable(name: "pakit-mesh-adversary", targets: ["PakitMeshAdversary"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-http2.git", from: "1.46.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/hummingbird-project/swift-websocket.git", from: "1.6.2"),
        .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.39.0"),
    ],
    targets: [
        // MARK: shared modules
        .target(
            name: "PakitContracts",
            path: "shared/contracts",
            swiftSettings: strict
        ),
        .target(
            name: "PakitCore",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")],
            path: "shared/core",
            swiftSettings: strict
        ),
        .target(
            name: "PakitChain",
            dependencies: ["PakitCore", .product(name: "Crypto", package: "swift-crypto")],
            path: "shared/chain",
            swiftSettings: strict
        ),
        // The Meshtastic client API (our own schema, generated code committed), its stream
        // framing, and LoRa physics (time on air, MAC timing, duty cycle): the LoRa bridge and
        // the radio simulator speak it the same way.
        .target(
            name: "PakitMeshtastic",
            dependencies: [.product(name: "SwiftProtobuf", package: "swift-protobuf")],
            path: "shared/meshtastic",
            exclude: ["Schema"],
            swiftSettings: strict
        ),
        .target(
            name: "PakitZK",
            dependencies: ["PakitContracts", "PakitCore", .product(name: "Crypto", package: "swift-crypto")],
            path: "shared/zk",
            // No unsafe flags (they would make the package unusable as a dependency): field and
            // curve arithmetic needs -O, so the start and test commands build in release
            // (docs/design.md, "Optimised builds").
            swiftSettings: strict
        ),
        .systemLibrary(
            name: "CZstd",
            path: "shared/system/CZstd",
            pkgConfig: "libzstd",
            providers: [.apt(["libzstd-dev"])]
        ),
        // libpq's declarations (Debian's libpq-dev) with trampolines that load libpq.so.5 on
        // first use: processes that never connect to PostgreSQL do not map it.
        .target(
            name: "CLibPQ",
            path: "shared/system/CLibPQ"
        ),
        .systemLibrary(
            name: "CSQLite",
            path: "shared/system/CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        .systemLibrary(
            name: "CLinux",
            path: "shared/system/CLinux"
        ),
        // MARK: runtime: what every service needs, one module per concern (docs/runtime.md)
        .target(
            name: "PakitConfiguration",
            path: "shared/runtime/Configuration",
            swiftSettings: strict
        ),
        .target(
            name: "PakitFiles",
            path: "shared/runtime/Files",
            swiftSettings: strict
        ),
        .target(
            name: "PakitConcurrency",
            dependencies: [.target(name: "CLinux", condition: .when(platforms: [.linux]))],
            path: "shared/runtime/Concurrency",
            swiftSettings: strict
        ),
        .target(
            name: "PakitObservability",
            dependencies: [
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            path: "shared/runtime/Observability",
            swiftSettings: strict
        ),
        .target(
            name: "PakitIdentity",
            dependencies: [
                "PakitConfiguration", "PakitFiles",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "shared/runtime/Identity",
            swiftSettings: strict
        ),
        .target(
            name: "PakitTLS",
            dependencies: [
                "PakitFiles",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            path: "shared/runtime/TLS",
            swiftSettings: strict
        ),
        .target(
            name: "PakitSQL",
            dependencies: [
                "CLibPQ", "CSQLite", "PakitConcurrency",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "shared/runtime/SQL",
            swiftSettings: strict
        ),
        .target(
            name: "PakitJobs",
            dependencies: [
                "PakitConcurrency", "PakitSQL",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "shared/runtime/Jobs",
            swiftSettings: strict
        ),
        .target(
            name: "PakitHTTP2",
            dependencies: [.product(name: "NIOCore", package: "swift-nio")],
            path: "shared/runtime/HTTP2",
            swiftSettings: strict
        ),
        .target(
            name: "PakitHTTPServer",
            dependencies: [
                "PakitContracts", "PakitHTTP2", "PakitTLS",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP2", package: "swift-nio-extras"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "X509", package: "swift-certificates"),
            ],
            path: "shared/runtime/HTTPServer",
            swiftSettings: strict
        ),
        .target(
            name: "PakitHTTPClient",
            dependencies: [
                "PakitConcurrency", "PakitContracts", "PakitHTTP2", "PakitTLS",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP2", package: "swift-nio-extras"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
            ],
            path: "shared/runtime/HTTPClient",
            swiftSettings: strict
        ),
        .target(
            name: "PakitAuth",
            dependencies: [
                "PakitHTTPServer", "PakitSQL",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "shared/runtime/Auth",
            swiftSettings: strict
        ),
        .target(
            name: "PakitService",
            dependencies: [
                "PakitConfiguration", "PakitContracts", "PakitFiles", "PakitHTTPServer", "PakitObservability", "PakitTLS",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            path: "shared/runtime/Service",
            swiftSettings: strict
        ),

        // MARK: storage service
        .target(
            name: "StorageService",
            dependencies: [
                "PakitContracts", "PakitCore", "PakitChain", "PakitZK", "CZstd", "CLinux",
                "PakitConcurrency", "PakitConfiguration", "PakitFiles", "PakitHTTPClient", "PakitHTTPServer",
                "PakitAuth", "PakitIdentity", "PakitObservability", "PakitService", "PakitSQL", "PakitTLS", "PakitJobs",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            path: "services/storage/Library",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "PakitStorage",
            dependencies: ["StorageService", "PakitService"],
            path: "services/storage/Executable",
            swiftSettings: strict
        ),

        // MARK: mesh gateway
        .target(
            name: "MeshGatewayService",
            dependencies: [
                "PakitContracts", "PakitCore", "PakitConcurrency", "PakitConfiguration", "PakitHTTPClient", "PakitHTTPServer",
                "PakitIdentity", "PakitService", "PakitSQL",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "services/mesh-gateway/Library",
            swiftSettings: strict
        ),
        // A simulated network of announcement routers (thousands of nodes in virtual time): used
        // by the tests and `pakit-bench mesh`; not shipped.
        .target(
            name: "MeshSimulation",
            dependencies: ["MeshGatewayService", "PakitCore", .product(name: "Crypto", package: "swift-crypto")],
            path: "tools/mesh-simulation",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "PakitMeshAdversary",
            dependencies: [
                "MeshGatewayService", "PakitCore", "PakitHTTPClient", "PakitIdentity",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            path: "tools/mesh-adversary",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "PakitMeshGateway",
            dependencies: ["MeshGatewayService", "PakitService"],
            path: "services/mesh-gateway/Executable",
            swiftSettings: strict
        ),

        // MARK: prover service
        .target(
            name: "ProverService",
            dependencies: [
                "PakitContracts", "PakitZK",
                "PakitConcurrency", "PakitConfiguration", "PakitFiles", "PakitHTTPServer", "PakitObservability", "PakitService", "PakitTLS",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "services/prover/Library",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "PakitProver",
            dependencies: ["ProverService", "PakitService"],
            path: "services/prover/Executable",
            swiftSettings: strict
        ),

        // MARK: chain relay
        .target(
            name: "ChainRelayService",
            dependencies: [
                "PakitChain", "PakitContracts", "PakitCore", "PakitConcurrency", "PakitConfiguration", "PakitFiles",
                "PakitHTTPServer", "PakitIdentity", "PakitService", "PakitSQL",
                .product(name: "WSClient", package: "swift-websocket"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "services/chain-relay/Library",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "PakitChainRelay",
            dependencies: ["ChainRelayService", "PakitService"],
            path: "services/chain-relay/Executable",
            swiftSettings: strict
        ),

        // MARK: LoRa bridge
        .target(
            name: "LoRaBridgeService",
            dependencies: [
                "PakitMeshtastic", "PakitContracts", "PakitCore", "PakitConfiguration", "PakitHTTPClient", "PakitHTTPServer", "PakitIdentity", "PakitService",
                "PakitSQL",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "services/lora-bridge/Library",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "PakitLoRaBridge",
            dependencies: ["LoRaBridgeService", "PakitService"],
            path: "services/lora-bridge/Executable",
            swiftSettings: strict
        ),

        // MARK: radio simulator (tools/lora-sim: a labelled development stand-in for LoRa radios)
        .target(
            name: "LoRaSimulator",
            dependencies: [
                "PakitMeshtastic", "PakitCore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "tools/lora-sim/Library",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "PakitLoRaSim",
            dependencies: [
                "LoRaSimulator", "PakitMeshtastic",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "tools/lora-sim/Executable",
            swiftSettings: strict
        ),

        // MARK: command line and tools
        .executableTarget(
            name: "PakitCLI",
            dependencies: [
                "PakitContracts", "PakitCore", "PakitFiles", "PakitHTTPClient", "PakitIdentity", "PakitTLS",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            path: "cli",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "PakitBench",
            dependencies: [
                "PakitContracts", "PakitCore", "PakitZK", "StorageService", "ChainRelayService", "PakitFiles", "PakitHTTPClient", "PakitHTTPServer", "PakitSQL",
                "MeshSimulation", "MeshGatewayService", "PakitTLS", "PakitMeshtastic", "LoRaBridgeService", "PakitService",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            path: "tools/bench",
            swiftSettings: strict
        ),

        // MARK: tests
        .target(
            name: "PakitTestSupport",
            dependencies: [
                "PakitCore", "PakitHTTPClient", "PakitHTTPServer", "PakitSQL", "PakitTLS",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            path: "tests/Support",
            swiftSettings: strict
        ),
        // Test fixture, not part of the product: a job worker process for kill -9 tests
        // (tests/Fixtures/JobWorkerFixture/main.swift).
        .executableTarget(
            name: "PakitJobWorkerFixture",
            dependencies: [
                "PakitConcurrency", "PakitFiles", "PakitJobs", "PakitSQL",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            path: "tests/Fixtures/JobWorkerFixture",
            swiftSettings: strict
        ),
        .testTarget(
            name: "CoreTests",
            dependencies: ["PakitCore", "PakitTestSupport"],
            path: "tests/CoreTests",
            swiftSettings: strict
        ),
        .testTarget(
            name: "ChainTests",
            dependencies: ["PakitChain", "PakitCore", "PakitTestSupport"],
            path: "tests/ChainTests",
            swiftSettings: strict
        ),
        .testTarget(
            name: "ChainRelayTests",
            dependencies: [
                "ChainRelayService", "PakitChain", "PakitContracts", "PakitCore", "PakitService", "PakitSQL", "PakitTestSupport",
                "PakitHTTPClient", "PakitTLS", "PakitIdentity",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "tests/ChainRelayTests",
            swiftSettings: strict
        ),
        .testTarget(
            name: "MeshtasticTests",
            dependencies: ["PakitMeshtastic"],
            path: "tests/MeshtasticTests",
            swiftSettings: strict
        ),
        .testTarget(
            name: "LoRaTests",
            dependencies: [
                "LoRaBridgeService", "LoRaSimulator", "PakitContracts", "PakitCore", "PakitIdentity", "PakitMeshtastic", "PakitService", "PakitTestSupport",
                "PakitTLS",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "tests/LoRaTests",
            swiftSettings: strict
        ),
        .testTarget(
            name: "ZKTests",
            dependencies: ["PakitZK"],
            path: "tests/ZKTests",
            swiftSettings: strict
        ),
        .testTarget(
            name: "RuntimeTests",
            dependencies: [
                "PakitContracts", "PakitConfiguration", "PakitCore", "PakitIdentity", "PakitSQL", "PakitTLS", "PakitTestSupport", "PakitConcurrency", "PakitJobs", "PakitHTTPClient", "PakitHTTP2", "PakitHTTPServer",
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdHTTP2", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "X509", package: "swift-certificates"),
            ],
            path: "tests/RuntimeTests",
            swiftSettings: strict
        ),
        .testTarget(
            name: "StorageTests",
            dependencies: [
                "StorageService", "PakitConcurrency", "PakitContracts", "PakitCore", "PakitTestSupport", "PakitHTTPClient", "PakitHTTPServer", "PakitObservability", "PakitService", "PakitSQL", "PakitTLS", "PakitJobs",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "tests/StorageTests",
            swiftSettings: strict
        ),
        .testTarget(
            name: "MeshGatewayTests",
            dependencies: [
                "MeshGatewayService", "MeshSimulation", "PakitConfiguration", "PakitContracts", "PakitCore", "PakitService", "PakitSQL", "PakitTestSupport",
                "PakitTLS",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "tests/MeshGatewayTests",
            swiftSettings: strict
        ),
        .testTarget(
            name: "ProverTests",
            dependencies: [
                "ProverService", "PakitContracts", "PakitZK", "PakitTestSupport", "PakitConfiguration", "PakitHTTPClient", "PakitObservability", "PakitService", "PakitTLS",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "tests/ProverTests",
            swiftSettings: strict
        ),
    ]
)
