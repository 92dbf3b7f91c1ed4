// swift-tools-version:6.0
import PackageDescription

// Dependencies point one way: executables → PalisadeServer → API / Enforcers → Domain + Storage +
// HTTP + PKI → C modules. Only HTTP, Storage and PKI import C modules, always as `internal import`.
// Domain imports nothing of ours.
let package = Package(
    name: "Palisade",
    products: [
        .executable(name: "palisade", targets: ["palisade"]),
        .executable(name: "palisadectl", targets: ["palisadectl"]),
        .executable(name: "palisade-enforcer", targets: ["palisade-enforcer"]),
    ],
    targets: [
        .systemLibrary(
            name: "CPostgres", path: "Sources/CPostgres", pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]),
        .systemLibrary(
            name: "COpenSSL", path: "Sources/COpenSSL", pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"])]),
        .systemLibrary(
            name: "CNGHTTP2", path: "Sources/CNGHTTP2", pkgConfig: "libnghttp2",
            providers: [.apt(["libnghttp2-dev"])]),

        // epoll and eventfd, which Swift's Glibc module does not export.
        .systemLibrary(name: "CLinux", path: "Sources/CLinux"),

        .target(name: "Logging"),
        .target(name: "HTTP", dependencies: ["Logging", "CLinux", "COpenSSL", "CNGHTTP2"]),
        .target(name: "Domain"),
        .target(name: "Storage", dependencies: ["Logging", "HTTP", "Domain", "CPostgres"]),
        .target(name: "PKI", dependencies: ["HTTP", "COpenSSL"]),
        .target(name: "API", dependencies: ["Logging", "HTTP", "Domain", "Storage", "PKI"]),
        .target(name: "Enforcers", dependencies: ["Logging", "HTTP", "Domain", "Storage", "PKI"]),
        .target(name: "PalisadeServer", dependencies: ["Logging", "HTTP", "Storage", "PKI", "API", "Enforcers"]),

        .executableTarget(name: "palisade", dependencies: ["PalisadeServer", "Logging"]),
        .executableTarget(name: "palisadectl", dependencies: ["HTTP"]),
        .executableTarget(name: "palisade-enforcer", dependencies: ["HTTP", "Domain", "PKI"]),
        // A server with echo, sleep and streaming routes over the real HTTP core, driven by the
        // protocol and abuse tests in Tests/protocol. Not shipped.
        .executableTarget(
            name: "http-testbed", dependencies: ["HTTP", "Logging"], path: "Tests/HTTPTestbed"),

        // Benchmark client for bench/ingest.sh. Not shipped.
        .executableTarget(
            name: "ingest-bench", dependencies: ["Storage", "HTTP", "Logging"], path: "bench/IngestBench"),

        // Helpers shared by the Swift test targets.
        .target(name: "TestSupport", dependencies: ["Storage", "HTTP"], path: "Tests/TestSupport"),
        .testTarget(name: "HTTPTests", dependencies: ["HTTP", "Logging", "TestSupport"]),
        .testTarget(name: "StorageTests", dependencies: ["Storage", "HTTP", "Logging", "TestSupport"]),
        .testTarget(
            name: "PalisadeServerTests", dependencies: ["PalisadeServer", "HTTP", "PKI", "Logging", "TestSupport"]),
        .testTarget(name: "DomainTests", dependencies: ["Domain"]),
        .testTarget(name: "APITests", dependencies: ["API"]),
    ]
)
