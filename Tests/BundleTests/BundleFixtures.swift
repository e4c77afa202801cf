import Foundation
import Integrity
import OCI
import TestSupport

/// A staged bundle directory with images (OCI and Docker), a chart and files, plus signing keys.
struct StagedFixture {
    let root: String
    let stage: String
    let images: [SyntheticImage]

    init(imageLayerSize: Int = 200_000) throws {
        root = try TestPaths.scratch("bundle")
        stage = root + "/stage"
        let layout = try OCILayout(creatingAt: stage + "/images")
        let shared = try ImageFactory.randomLayer(size: imageLayerSize, directory: root)
        let a = ImageFactory.image(layers: [shared, try ImageFactory.randomLayer(size: 30_000, directory: root)])
        let b = ImageFactory.image(layers: [try ImageFactory.randomLayer(size: 40_000, format: .docker, directory: root)], format: .docker)
        try ImageFactory.store(a, in: layout, as: "registry.example/astrago/core:1.0")
        try ImageFactory.store(b, in: layout, as: "docker.io/library/nginx:1.27")
        images = [a, b]
        try FileManager.default.removeItem(atPath: stage + "/images/ingest")
        try FileManager.default.createDirectory(atPath: stage + "/files/sub", withIntermediateDirectories: true)
        try Data("site notes\n".utf8).write(to: URL(fileURLWithPath: stage + "/files/README.txt"))
        try Data((0..<5000).map { UInt8($0 % 251) }).write(to: URL(fileURLWithPath: stage + "/files/sub/data.bin"))
        let chartDir = root + "/chart/mychart"
        try FileManager.default.createDirectory(atPath: chartDir, withIntermediateDirectories: true)
        try "apiVersion: v2\nname: mychart\nversion: 1.2.3\nappVersion: \"1.0\"\n".write(
            toFile: chartDir + "/Chart.yaml", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: stage + "/charts", withIntermediateDirectories: true)
        try Shell.check(["tar", "-czf", stage + "/charts/mychart-1.2.3.tgz", "-C", root + "/chart", "mychart"])
        try #"[{"name":"csi-driver-nfs","namespace":"kube-system","optional":false},{"name":"astrago","namespace":"astrago"}]"#
            .write(toFile: stage + "/components.json", atomically: true, encoding: .utf8)
    }

    /// Makes a key pair with the real binary; returns (private, public) paths.
    func keygen(_ name: String, type: String = "ecdsa-p256") throws -> (String, String) {
        let prefix = root + "/" + name
        let result = try airgapBundle(["keygen", "--out", prefix, "--type", type])
        guard result.status == 0 else { throw TestSupportError("keygen failed: \(result.stderr)") }
        return (prefix + ".key", prefix + ".pub")
    }

    func pack(key: String, output: String, extra: [String] = []) throws -> Shell.Result {
        try airgapBundle(
            ["pack", stage, "--key", key, "--output", output, "--name", "astrago", "--version", "1.0.0", "--created", "1790000000"] + extra)
    }
}

func airgapBundle(_ arguments: [String], environment: [String: String] = [:]) throws -> Shell.Result {
    try Shell.run([try TestPaths.binary("airgap-bundle")] + arguments, environment: environment)
}

func sha256(_ path: String) throws -> String { try SHA256Hasher.hashFile(atPath: path).hex }
