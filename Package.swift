// swift-tools-version:6.0
import PackageDescription

// Modules depend one way only (see docs/adr/0001-module-layout.md):
//   COpenSSL <- Integrity <- OCI <- Registry <- Charts (also uses Bundle) <- airgap-bundle
//   CArchive, CZstd, CZlib, Integrity <- TarStream <- Bundle <- BundleCommands <- both executables
//   Terminal (progress, byte counts) <- both executables
let package = Package(
    name: "astrago-airgap",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "airgap-bundle", targets: ["airgap-bundle"]),
        .executable(name: "airgap-install", targets: ["airgap-install"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
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
        .target(name: "TarStream", dependencies: ["CArchive", "CZstd", "CZlib", "Integrity"]),
        .target(name: "Bundle", dependencies: ["OCI", "Integrity", "TarStream", .product(name: "Yams", package: "Yams")]),
        .target(name: "OCI", dependencies: ["Integrity"]),
        .target(
            name: "Registry",
            dependencies: [
                "OCI", "Integrity",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .target(name: "Terminal"),
        .target(name: "Charts", dependencies: ["OCI", "Registry", "Integrity", "TarStream", "Bundle", .product(name: "Yams", package: "Yams")]),
        .target(
            name: "BundleCommands",
            dependencies: ["Bundle", "Integrity", "Terminal", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(
            name: "airgap-bundle",
            dependencies: [
                "OCI", "Registry", "Terminal", "Bundle", "BundleCommands", "Integrity", "TarStream", "Charts",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .executableTarget(
            name: "airgap-install",
            dependencies: [
                "OCI", "Terminal", "BundleCommands",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .target(
            name: "TestSupport",
            dependencies: ["OCI", "Registry", "Integrity"],
            path: "Tests/TestSupport"),
        .testTarget(name: "BundleTests", dependencies: ["Bundle", "Integrity", "TarStream", "OCI", "TestSupport", "airgap-bundle"],
                    exclude: ["Corpus"]),
        .testTarget(name: "ChartsTests", dependencies: ["Charts", "Registry", "OCI", "TarStream", "Integrity", "TestSupport", "airgap-bundle"]),
        .testTarget(name: "TarStreamTests", dependencies: ["TarStream", "Integrity", "TestSupport"]),
        .testTarget(name: "IntegrityTests", dependencies: ["Integrity", "TestSupport"]),
        .testTarget(name: "OCITests", dependencies: ["OCI", "Integrity", "TestSupport"]),
        .testTarget(name: "RegistryTests", dependencies: ["OCI", "Registry", "Integrity", "TestSupport", "airgap-bundle"]),
    ],
    swiftLanguageModes: [.v6]
)
