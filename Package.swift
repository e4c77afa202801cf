// swift-tools-version:6.0
import PackageDescription

// Linux only (docs/adr/0006-linux-only.md): the tools run on the Linux hosts of Kubernetes sites.
// Modules depend one way only (see docs/adr/0001-module-layout.md):
//   System <- OCI, TarStream (plumbing both sides share: atomic writes, processes, locks, blocking pool)
//   COpenSSL <- Integrity <- OCI <- Registry <- Charts <- BuildPipeline <- airgap-bundle (vendor side)
//   Charts <- HelmfileImport <- airgap-bundle (vendor side: a helmfile read into a manifest)
//   CArchive, CZstd, CZlib, Integrity <- TarStream <- ChartFormat <- Bundle <- BundleCommands <- both executables
//   Bundle, Registry <- Install <- airgap-install (site side; never the vendor pipeline)
//   Bundle, Install <- BundleServer <- airgap-install (site side: serve, node-config)
//   CommandOptions, Terminal, ToolVersion <- both executables
let package = Package(
    name: "astrago-airgap",
    products: [
        .executable(name: "airgap-bundle", targets: ["airgap-bundle"]),
        .executable(name: "airgap-install", targets: ["airgap-install"]),
    ],
    // Exact versions, direct and transitive, so that the security team rebuilds the same tool
    // (a committed Package.resolved cannot do it here: the revisions it records differ between
    // machines). Transitive packages are listed only to pin them.
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/swift-server/async-http-client", exact: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", exact: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-ssl", exact: "2.37.6"),
        .package(url: "https://github.com/apple/swift-log", exact: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams", exact: "6.2.2"),
        .package(url: "https://github.com/apple/swift-algorithms", exact: "1.2.1"),
        .package(url: "https://github.com/apple/swift-asn1", exact: "1.7.4"),
        .package(url: "https://github.com/apple/swift-async-algorithms", exact: "1.1.4"),
        .package(url: "https://github.com/apple/swift-atomics", exact: "1.3.0"),
        .package(url: "https://github.com/apple/swift-certificates", exact: "1.21.1"),
        .package(url: "https://github.com/apple/swift-collections", exact: "1.6.0"),
        .package(url: "https://github.com/apple/swift-configuration", exact: "1.4.0"),
        .package(url: "https://github.com/apple/swift-crypto", exact: "4.5.2"),
        .package(url: "https://github.com/apple/swift-distributed-tracing", exact: "1.7.3"),
        .package(url: "https://github.com/apple/swift-http-structured-headers", exact: "1.7.0"),
        .package(url: "https://github.com/apple/swift-http-types", exact: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio-extras", exact: "1.35.2"),
        .package(url: "https://github.com/apple/swift-nio-http2", exact: "1.46.0"),
        .package(url: "https://github.com/apple/swift-nio-transport-services", exact: "1.28.0"),
        .package(url: "https://github.com/apple/swift-numerics", exact: "1.1.1"),
        .package(url: "https://github.com/apple/swift-service-context", exact: "1.5.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", exact: "2.13.0"),
        .package(url: "https://github.com/apple/swift-system", exact: "1.8.1"),
    ],
    targets: [
        .systemLibrary(
            name: "CArchive", pkgConfig: "libarchive",
            providers: [.apt(["libarchive-dev"])]),
        .systemLibrary(
            name: "COpenSSL", pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"])]),
        .target(name: "Integrity", dependencies: ["COpenSSL"]),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // System plumbing, for both sides (ADR XXXX): durable atomic writes, child processes, PATH
        // lookup, the bounded blocking-work pool, free disk space, state-directory locks.
        .target(name: "System"),
        .target(name: "TarStream", dependencies: ["CArchive", "CZstd", "CZlib", "Integrity", "System"]),
        // The Helm chart format (Chart.yaml), for packing and for chart resolution alike, and
        // BoundedYAML: the one bounded YAML reader every parser entry point of both sides uses.
        .target(name: "ChartFormat", dependencies: ["TarStream", .product(name: "Yams", package: "Yams")]),
        .target(name: "Bundle", dependencies: ["OCI", "Integrity", "TarStream", "ChartFormat", "System"]),
        .target(name: "OCI", dependencies: ["Integrity", "System"]),
        .target(
            name: "Registry",
            dependencies: [
                "OCI", "Integrity", "System",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .target(name: "Terminal"),
        // Vendor side: the build pipeline (resolve → lock → fetch → stage → pack).
        .target(name: "BuildPipeline", dependencies: ["Charts", "Registry", "OCI", "Bundle", "Integrity", "TarStream", "System"]),
        // Site side: push (and later deploy). Never imports the vendor pipeline or Charts' resolver.
        // Site side uses Charts only for site-value declarations, values templates, Helm and image discovery.
        .target(
            name: "Install",
            dependencies: [
                "Bundle", "Registry", "OCI", "Integrity", "TarStream", "ChartFormat", "Charts", "System", .product(name: "Yams", package: "Yams"),
                // ByteBuffer: a blob's pieces go from the archive reader into the request body without another copy.
                .product(name: "NIOCore", package: "swift-nio"),
            ]),
        // Site side: `serve` (a read-only registry straight from the archive) and node-config.
        .target(
            name: "BundleServer",
            dependencies: [
                "Bundle", "Install", "OCI", "Integrity",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]),
        .target(name: "ToolVersion", plugins: ["RecordGitCommit"]),
        // Command-line options both executables share (registry flags, credentials, mirrors).
        .target(
            name: "CommandOptions",
            dependencies: ["Registry", "ToolVersion", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .plugin(name: "RecordGitCommit", capability: .buildTool()),
        .target(
            name: "Charts",
            dependencies: ["OCI", "Registry", "Integrity", "TarStream", "ChartFormat", "System", .product(name: "Yams", package: "Yams")]),
        // Vendor side: reads a helmfile (its Go-template subset included) and writes a manifest.
        .target(name: "HelmfileImport", dependencies: ["Charts", "ChartFormat", "OCI", "System", .product(name: "Yams", package: "Yams")]),
        .target(
            name: "BundleCommands",
            dependencies: [
                "Bundle", "Integrity", "OCI", "TarStream", "Terminal", "System", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .executableTarget(
            name: "airgap-bundle",
            dependencies: [
                "OCI", "Registry", "Terminal", "Bundle", "BundleCommands", "Integrity", "TarStream", "Charts", "ToolVersion", "BuildPipeline",
                "CommandOptions", "HelmfileImport", "System",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .executableTarget(
            name: "airgap-install",
            dependencies: [
                "OCI", "Terminal", "BundleCommands", "ToolVersion", "Install", "Registry", "Integrity", "Charts", "BundleServer", "System",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .target(
            name: "TestSupport",
            dependencies: ["OCI", "Registry", "Integrity"],
            path: "Tests/TestSupport"),
        .testTarget(
            name: "BundleTests", dependencies: ["Bundle", "Integrity", "TarStream", "OCI", "System", "TestSupport", "airgap-bundle"],
            exclude: ["Corpus"]),
        .testTarget(
            name: "ChartsTests",
            dependencies: [
                "Charts", "ChartFormat", "Registry", "OCI", "TarStream", "Integrity", "TestSupport", "airgap-bundle",
                .product(name: "Yams", package: "Yams"),
            ]),
        .testTarget(
            name: "HelmfileImportTests",
            dependencies: ["HelmfileImport", "Charts", "ChartFormat", "Registry", "OCI", "TestSupport", "airgap-bundle"]),
        .testTarget(name: "TarStreamTests", dependencies: ["TarStream", "Integrity", "TestSupport"]),
        .testTarget(name: "IntegrityTests", dependencies: ["Integrity", "TestSupport"]),
        .testTarget(name: "OCITests", dependencies: ["OCI", "Integrity", "System", "TestSupport"]),
        .testTarget(name: "SystemTests", dependencies: ["System", "TestSupport", "airgap-bundle"]),
        .testTarget(
            name: "InstallTests",
            dependencies: [
                "Install", "Bundle", "Registry", "OCI", "Integrity", "ChartFormat", "Charts", "TarStream", "Terminal", "TestSupport",
                "airgap-install", "airgap-bundle", .product(name: "Yams", package: "Yams"),
            ]),
        .testTarget(name: "BuildTests", dependencies: ["BuildPipeline", "Registry", "OCI", "Integrity", "TestSupport", "airgap-bundle"]),
        .testTarget(name: "RegistryTests", dependencies: ["OCI", "Registry", "Integrity", "System", "TestSupport", "airgap-bundle"]),
    ],
    swiftLanguageModes: [.v6]
)
