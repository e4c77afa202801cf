import Foundation
import OCI
import Registry
import TestSupport
import Testing

/// Images seeded into a test registry, and helpers to pull them with the real binary.
struct SeededRegistry {
    let registry: RegistryServer
    let multiArch: SyntheticIndex  // OCI index, linux/amd64 + linux/arm64, tag multi:1
    let dockerList: SyntheticIndex  // Docker manifest list, one platform, tag dockerlist:1
    let sharedA: SyntheticImage  // Docker schema 2, shares a layer with sharedB
    let sharedB: SyntheticImage  // OCI
    let big: SyntheticImage?  // one layer of 200 MB, tag big:1
    let scratch: String

    func reference(_ path: String) -> String { "\(registry.host)/\(path)" }

    /// Starts a registry (plain HTTP unless told) and pushes the synthetic images with our client.
    static func make(_ mode: RegistryServer.Mode = .plainHTTP, withBig: Bool = false, credentials: CredentialStore = CredentialStore()) async throws
        -> SeededRegistry
    {
        let registry = try RegistryServer(mode)
        let scratch = try TestPaths.scratch("seed")
        var insecure: Set<String> = []
        if case .tls = mode {} else { insecure = [registry.host] }
        let client = try RegistryClient(
            configuration: RegistryConfiguration(insecureHosts: insecure, caFile: registry.caFile), credentials: credentials)
        defer { Task { try? await client.shutdown() } }
        func repo(_ name: String) throws -> ImageReference { try ImageReference(parsing: "\(registry.host)/\(name)") }

        let amd = ImageFactory.image(layers: [try ImageFactory.randomLayer(size: 300_000, directory: scratch)], platform: .linuxAMD64)
        let arm = ImageFactory.image(
            layers: [try ImageFactory.randomLayer(size: 200_000, directory: scratch)],
            platform: Platform(os: "linux", architecture: "arm64", variant: "v8"))
        let multiArch = ImageFactory.index([amd, arm])
        try await ImageFactory.push(multiArch, to: repo("library/multi"), tag: "1", client: client)

        let listed = ImageFactory.image(layers: [try ImageFactory.randomLayer(size: 50_000, format: .docker, directory: scratch)], format: .docker)
        let dockerList = ImageFactory.index([listed], format: .docker)
        try await ImageFactory.push(dockerList, to: repo("library/dockerlist"), tag: "1", client: client)

        let shared = try ImageFactory.randomLayer(size: 1_000_000, format: .docker, directory: scratch)
        let sharedA = ImageFactory.image(
            layers: [shared, try ImageFactory.randomLayer(size: 10_000, format: .docker, directory: scratch)], format: .docker)
        let sharedOCI = SyntheticBlob(
            descriptor: Descriptor(mediaType: MediaType.ociLayerTarGzip, digest: shared.descriptor.digest, size: shared.descriptor.size),
            source: shared.source)
        let sharedB = ImageFactory.image(layers: [sharedOCI, try ImageFactory.randomLayer(size: 20_000, directory: scratch)])
        try await ImageFactory.push(sharedA, to: repo("library/shared-a"), tag: "1", client: client)
        try await ImageFactory.push(sharedB, to: repo("apps/shared-b"), tag: "1", client: client)

        var big: SyntheticImage?
        if withBig {
            let image = ImageFactory.image(layers: [try ImageFactory.randomLayer(size: 200 << 20, directory: scratch)])
            try await ImageFactory.push(image, to: repo("library/big"), tag: "1", client: client)
            big = image
        }
        return SeededRegistry(
            registry: registry, multiArch: multiArch, dockerList: dockerList, sharedA: sharedA, sharedB: sharedB, big: big, scratch: scratch)
    }
}

/// Runs `airgap-bundle` and returns its exit status and output.
func airgapBundle(_ arguments: [String], environment: [String: String] = [:]) throws -> Shell.Result {
    try Shell.run([try TestPaths.binary("airgap-bundle")] + arguments, environment: environment)
}

/// The decoded `--json` report of `pull`.
struct PullReportJSON: Decodable {
    struct Image: Decodable { var reference: String; var digest: String; var size: Int64; var platforms: [String]; var sourceIndexDigest: String? }
    struct Failure: Decodable { var reference: String; var message: String }
    var images: [Image]
    var failures: [Failure]

    init(_ text: String) throws { self = try JSONDecoder().decode(PullReportJSON.self, from: Data(text.utf8)) }
}

/// sha256 of the manifest a registry serves, read by skopeo (an independent client).
func skopeoManifestDigest(_ reference: String, extra: [String] = ["--tls-verify=false"]) throws -> String {
    let raw = try Shell.check(["skopeo", "inspect", "--raw"] + extra + ["docker://" + reference]).stdout
    return Digest.of(Array(raw.utf8)).description
}

/// Files left in a layout's ingest directory, besides the layout's durability mark (must be none after any pull).
func ingestLeftovers(_ layout: String) -> [String] {
    let mark = OCILayout.durabilityMarkPath.split(separator: "/").last.map(String.init)
    return ((try? FileManager.default.contentsOfDirectory(atPath: layout + "/ingest")) ?? []).filter { $0 != mark }
}

func blobExists(_ layout: String, _ digest: Digest) -> Bool {
    FileManager.default.fileExists(atPath: "\(layout)/blobs/sha256/\(digest.hex)")
}
