import Foundation
import Integrity
import OCI
import TestSupport

/// A signed bundle of five images as a vendor would ship it: a multi-arch index, a Docker-typed
/// image, two images sharing a large layer, an image named only by digest, and two source
/// registries whose repository paths clash (`quay.io/team/tool` and `docker.io/team/tool`).
struct PushFixture {
    let root: String
    let bundle: String
    let publicKey: String
    let privateKey: String
    /// Source reference → manifest or index digest, as bundle.json lists them.
    let images: [String: Digest]
    let sharedLayer: Digest
    /// The image holding the shared layer besides `core` (`registry.example/astrago/batch:1.0`).
    let batch: SyntheticImage

    init(largeLayer: Int = 3 << 20) throws {
        root = try TestPaths.scratch("push")
        let stage = root + "/stage"
        let layout = try OCILayout(creatingAt: stage + "/images")
        let shared = try ImageFactory.randomLayer(size: largeLayer, directory: root)
        let core = ImageFactory.image(layers: [shared, try ImageFactory.randomLayer(size: 40_000, directory: root)])
        let batch = ImageFactory.image(layers: [shared, try ImageFactory.randomLayer(size: 50_000, directory: root)])
        let nginx = ImageFactory.image(layers: [try ImageFactory.randomLayer(size: 30_000, format: .docker, directory: root)], format: .docker)
        let amd = ImageFactory.image(layers: [try ImageFactory.randomLayer(size: 20_000, directory: root)], platform: .linuxAMD64)
        let arm = ImageFactory.image(
            layers: [try ImageFactory.randomLayer(size: 21_000, directory: root)], platform: Platform(os: "linux", architecture: "arm64"))
        let multi = ImageFactory.index([amd, arm])
        let quayTool = ImageFactory.image(layers: [try ImageFactory.randomLayer(size: 10_000, directory: root)])
        let hubTool = ImageFactory.image(layers: [try ImageFactory.randomLayer(size: 11_000, directory: root)])
        let pinned = ImageFactory.image(layers: [try ImageFactory.randomLayer(size: 12_000, directory: root)])
        try ImageFactory.store(core, in: layout, as: "registry.example/astrago/core:1.0")
        try ImageFactory.store(batch, in: layout, as: "registry.example/astrago/batch:1.0")
        try ImageFactory.store(nginx, in: layout, as: "docker.io/library/nginx:1.27")
        try ImageFactory.store(quayTool, in: layout, as: "quay.io/team/tool:2")
        try ImageFactory.store(hubTool, in: layout, as: "docker.io/team/tool:2")
        try ImageFactory.store(pinned, in: layout, as: "docker.io/bitnami/keycloak@\(pinned.digest)")
        for image in [amd, arm] {
            for blob in image.blobs {
                if case .bytes(let bytes) = blob.source {
                    try layout.writeBlob(bytes, as: blob.descriptor)
                } else if case .file(let path) = blob.source {
                    try layout.writeBlob(Array(try Data(contentsOf: URL(fileURLWithPath: path))), as: blob.descriptor)
                }
            }
            try layout.writeBlob(image.manifest, as: image.descriptor)
        }
        let indexDescriptor = Descriptor(mediaType: multi.mediaType, digest: multi.digest, size: Int64(multi.bytes.count))
        try layout.writeBlob(multi.bytes, as: indexDescriptor)
        var entry = indexDescriptor
        entry.annotations = [OCILayout.Annotation.refName: "ghcr.io/astrago/multi:3"]
        try layout.addToIndex(entry)
        try FileManager.default.removeItem(atPath: stage + "/images/ingest")
        try FileManager.default.createDirectory(atPath: stage + "/files", withIntermediateDirectories: true)
        try Data("site notes\n".utf8).write(to: URL(fileURLWithPath: stage + "/files/README.txt"))
        let chart = root + "/chart/mychart"
        try FileManager.default.createDirectory(atPath: chart, withIntermediateDirectories: true)
        try "apiVersion: v2\nname: mychart\nversion: 1.2.3\n".write(toFile: chart + "/Chart.yaml", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: stage + "/charts", withIntermediateDirectories: true)
        try Shell.check(["tar", "-czf", stage + "/charts/mychart-1.2.3.tgz", "-C", root + "/chart", "mychart"])

        let keys = root + "/vendor"
        try Self.check(try airgap("airgap-bundle", ["keygen", "--out", keys]))
        privateKey = keys + ".key"
        publicKey = keys + ".pub"
        bundle = root + "/astrago-1.0.0.tar.zst"
        try Self.check(
            try airgap(
                "airgap-bundle",
                [
                    "pack", stage, "--key", privateKey, "--output", bundle, "--name", "astrago", "--version", "1.0.0",
                    "--created", "1790000000",
                ]))
        images = [
            "registry.example/astrago/core:1.0": core.digest, "registry.example/astrago/batch:1.0": batch.digest,
            "docker.io/library/nginx:1.27": nginx.digest, "quay.io/team/tool:2": quayTool.digest, "docker.io/team/tool:2": hubTool.digest,
            "docker.io/bitnami/keycloak@\(pinned.digest)": pinned.digest, "ghcr.io/astrago/multi:3": multi.digest,
        ]
        sharedLayer = shared.descriptor.digest
        self.batch = batch
    }

    static func check(_ result: Shell.Result) throws {
        guard result.status == 0 else { throw TestSupportError("exit \(result.status): \(result.stderr)") }
    }
}

func airgap(_ tool: String, _ arguments: [String], environment: [String: String] = [:]) throws -> Shell.Result {
    try Shell.run([try TestPaths.binary(tool)] + arguments, environment: environment)
}
