// swift-tools-version:6.0
import PackageDescription

// Linux only (docs/adr/0006-linux-only.md): the tools run on the Linux hosts of Kubernetes sites.
// Modules depend one way only, and every module is of one class (docs/adr/0001-module-layout.md):
//   shared       both executables may import it; it imports only shared modules.
//   vendor-only  airgap-bundle's: chart resolution, upstream pulls, packing and signing, the build.
//   site-only    airgap-install's: push, deploy, serve.
// The rule: airgap-install's closure holds no vendor-only module, airgap-bundle's no site-only one.
// Tests/ChartsTests/PackageGraphTests.swift reads this description and holds the rule; its one
// list classifies every target (a new target goes there too).
//   shared:      the C libraries, the RecordGitCommit plugin, Outcomes, System, Integrity, OCI, Registry, TarStream,
//                ChartFormat, Bundle, Transfer, Rendering, BundleCommands, CommandOptions, Terminal, ToolVersion
//   vendor-only: ChartResolution, ImagePull, BundlePacking, BuildPipeline, HelmfileImport, airgap-bundle
//   site-only:   Install, BundleServer, airgap-install
//   System <- OCI, TarStream (plumbing both sides share: atomic writes, processes, locks, blocking pool)
//   COpenSSL <- Integrity <- OCI <- Registry <- ChartResolution <- BuildPipeline <- airgap-bundle
//   Registry, Bundle <- Transfer (the one transfer engine) <- ImagePull, BundlePacking (<- BuildPipeline), Install
//   ChartFormat, OCI <- Rendering <- ChartResolution, HelmfileImport (<- airgap-bundle), Install
//   CArchive, CZstd, CZlib, Integrity <- TarStream <- ChartFormat <- Bundle <- BundleCommands <- both executables
//   Bundle, Registry, Transfer, Rendering <- Install <- BundleServer <- airgap-install
//   CommandOptions, Terminal, ToolVersion <- both executables
//   Outcomes (the exit-status table) <- every module whose errors end a command
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
        // System plumbing, for both sides (ADR 0021): durable atomic writes, child processes, PATH
        // lookup, the bounded blocking-work pool, free disk space, state-directory locks.
        .target(name: "System"),
        // The exit-status table every error type maps into (both sides; no dependencies).
        .target(name: "Outcomes"),
        .target(name: "TarStream", dependencies: ["CArchive", "CZstd", "CZlib", "Integrity", "System", "Outcomes"]),
        // The Helm chart format (Chart.yaml), for packing and for chart resolution alike, and
        // BoundedYAML: the one bounded YAML reader every parser entry point of both sides uses.
        .target(name: "ChartFormat", dependencies: ["TarStream", .product(name: "Yams", package: "Yams")]),
        .target(name: "Bundle", dependencies: ["OCI", "Integrity", "TarStream", "ChartFormat", "Outcomes", "System"]),
        // Vendor-only: packing a staged directory into a signed bundle (stage, SBOM, private key).
        .target(
            name: "BundlePacking",
            dependencies: [
                "Bundle", "OCI", "Integrity", "TarStream", "ChartFormat", "Transfer", "COpenSSL", .product(name: "NIOCore", package: "swift-nio"),
                "System",
            ]),
        .target(name: "OCI", dependencies: ["Integrity", "System"]),
        .target(
            name: "Registry",
            dependencies: [
                "OCI", "Integrity", "Outcomes",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"), "System",
            ]),
        .target(name: "Terminal"),
        // Shared: the one transfer engine: image source and destination protocols, one copy, and
        // its backings (registry, OCI layout, bundle archive as a stream or by random access).
        .target(
            name: "Transfer",
            dependencies: ["OCI", "Integrity", "Registry", "Bundle", "TarStream", .product(name: "NIOCore", package: "swift-nio"), "System"]),
        // Vendor-only: pulls from upstream registries on the transfer engine (platform selection, locked sources).
        .target(name: "ImagePull", dependencies: ["OCI", "Registry", "Transfer", "System"]),
        // Vendor-only: the build pipeline (resolve → lock → fetch → stage → pack).
        .target(
            name: "BuildPipeline",
            dependencies: [
                "ChartResolution", "Registry", "ImagePull", "OCI", "Bundle", "BundlePacking", "Transfer", "Integrity", "TarStream", "Outcomes",
                "System",
            ]),
        // Site-only: push, site values, deploy.
        .target(
            name: "Install",
            dependencies: [
                "Bundle", "Registry", "Transfer", "OCI", "Integrity", "TarStream", "ChartFormat", "Rendering", "Outcomes",
                .product(name: "Yams", package: "Yams"),
                // ByteBuffer: a blob's pieces go from the archive reader into the request body without another copy.
                .product(name: "NIOCore", package: "swift-nio"), "System",
            ]),
        // Site-only: `serve` (a read-only registry straight from the archive) and node-config.
        .target(
            name: "BundleServer",
            dependencies: [
                "Bundle", "Install", "OCI", "Integrity", "Outcomes", "Transfer",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"), "System",
            ]),
        .target(name: "ToolVersion", plugins: ["RecordGitCommit"]),
        // Command-line options both executables share (registry flags, credentials, mirrors).
        .target(
            name: "CommandOptions",
            dependencies: ["Registry", "ToolVersion", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .plugin(name: "RecordGitCommit", capability: .buildTool()),
        // Shared: the Helm engine, image discovery, site-value declarations, values templates.
        .target(name: "Rendering", dependencies: ["OCI", "ChartFormat", .product(name: "Yams", package: "Yams"), "System"]),
        // Vendor-only: the manifest, chart resolution from repositories, version constraints, chart packing.
        .target(
            name: "ChartResolution",
            dependencies: [
                "Rendering", "OCI", "Registry", "Integrity", "TarStream", "ChartFormat", .product(name: "Yams", package: "Yams"), "System",
            ]),
        // Vendor-only: reads a helmfile (its Go-template subset included) and writes a manifest.
        .target(name: "HelmfileImport", dependencies: ["Rendering", "ChartFormat", "OCI", .product(name: "Yams", package: "Yams"), "System"]),
        .target(
            name: "BundleCommands",
            dependencies: [
                "Bundle", "Integrity", "OCI", "Outcomes", "TarStream", "Terminal", .product(name: "ArgumentParser", package: "swift-argument-parser"),
                "System",
            ]),
        .executableTarget(
            name: "airgap-bundle",
            dependencies: [
                "OCI", "Registry", "Terminal", "Bundle", "BundleCommands", "Integrity", "TarStream", "Rendering", "ChartResolution", "ToolVersion",
                "BuildPipeline", "CommandOptions", "HelmfileImport", "ImagePull", "BundlePacking",
                "System",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .executableTarget(
            name: "airgap-install",
            dependencies: [
                "OCI", "Terminal", "BundleCommands", "ToolVersion", "Install", "Registry", "Integrity", "Rendering", "BundleServer",
                "System",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .target(
            name: "TestSupport",
            dependencies: ["OCI", "Registry", "Integrity"],
            path: "Tests/TestSupport"),
        .testTarget(
            name: "BundleTests",
            dependencies: ["Bundle", "BundlePacking", "Integrity", "TarStream", "OCI", "TestSupport", "airgap-bundle", "System"],
            exclude: ["Corpus"]),
        .testTarget(
            name: "ChartsTests",
            dependencies: [
                "Rendering", "ChartResolution", "ChartFormat", "Registry", "OCI", "TarStream", "Integrity", "TestSupport", "airgap-bundle",
                .product(name: "Yams", package: "Yams"),
            ]),
        .testTarget(
            name: "HelmfileImportTests",
            dependencies: ["HelmfileImport", "ChartResolution", "Rendering", "ChartFormat", "Registry", "OCI", "TestSupport", "airgap-bundle"]),
        .testTarget(
            name: "TransferTests",
            dependencies: [
                "Transfer", "Registry", "Bundle", "BundlePacking", "OCI", "Integrity", "TestSupport", .product(name: "NIOCore", package: "swift-nio"),
                "System",
            ]),
        .testTarget(name: "TarStreamTests", dependencies: ["TarStream", "Integrity", "TestSupport"]),
        .testTarget(name: "IntegrityTests", dependencies: ["Integrity", "BundlePacking", "TestSupport"]),
        .testTarget(name: "SystemTests", dependencies: ["System", "TestSupport", "airgap-bundle"]),
        .testTarget(name: "OCITests", dependencies: ["OCI", "Integrity", "TestSupport", "System"]),
        .testTarget(
            name: "InstallTests",
            dependencies: [
                "Install", "Bundle", "Registry", "OCI", "Integrity", "ChartFormat", "Rendering", "ChartResolution", "TarStream", "Terminal",
                "TestSupport", "BundleServer", "Transfer", "airgap-install", "airgap-bundle", .product(name: "Yams", package: "Yams"), "System",
            ]),
        .testTarget(name: "BuildTests", dependencies: ["BuildPipeline", "Registry", "OCI", "Integrity", "TestSupport", "airgap-bundle"]),
        .testTarget(name: "RegistryTests", dependencies: ["OCI", "Registry", "Integrity", "System", "TestSupport", "airgap-bundle"]),
    ],
    swiftLanguageModes: [.v6]
)
