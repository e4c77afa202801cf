import Foundation
import OCI
import TestSupport

/// A signed bundle of images containerd can unpack: real gzip tar layers whose config lists their
/// diff IDs, from three registries, two of them with the same repository path.
struct UnpackableBundle {
    let root: String
    let bundle: String
    let publicKey: String
    /// Source reference → manifest digest.
    let images: [String: Digest]

    init() throws {
        root = try TestPaths.scratch("unpackable")
        let stage = root + "/stage"
        let layout = try OCILayout(creatingAt: stage + "/images")
        var images: [String: Digest] = [:]
        let references = ["docker.io/library/app:1", "quay.io/team/tool:2", "docker.io/team/tool:2", "registry.example/astrago/core:1.0"]
        for (number, reference) in references.enumerated() {
            // The first image's layer spans several of serve's 1 MiB pieces.
            let (layer, diffID) = try Self.layer(named: "file\(number)", size: number == 0 ? 2_500_000 : 20_000 + number, in: root)
            let layerDescriptor = Descriptor(mediaType: MediaType.ociLayerTarGzip, digest: Digest.of(layer), size: Int64(layer.count))
            let config = Array(
                #"{"architecture":"amd64","config":{"Env":["PATH=/bin"]},"os":"linux","rootfs":{"diff_ids":["\#(diffID)"],"type":"layers"}}"#.utf8)
            let configDescriptor = Descriptor(mediaType: MediaType.ociConfig, digest: Digest.of(config), size: Int64(config.count))
            let manifest = Array(
                """
                {"schemaVersion":2,"mediaType":"\(MediaType.ociManifest)","config":{"mediaType":"\(MediaType.ociConfig)","digest":"\(configDescriptor.digest)","size":\(config.count)},\
                "layers":[{"mediaType":"\(MediaType.ociLayerTarGzip)","digest":"\(layerDescriptor.digest)","size":\(layer.count)}]}
                """.utf8)
            var manifestDescriptor = Descriptor(mediaType: MediaType.ociManifest, digest: Digest.of(manifest), size: Int64(manifest.count))
            try layout.writeBlob(layer, as: layerDescriptor)
            try layout.writeBlob(config, as: configDescriptor)
            try layout.writeBlob(manifest, as: manifestDescriptor)
            manifestDescriptor.annotations = [OCILayout.Annotation.refName: reference]
            try layout.addToIndex(manifestDescriptor)
            images[reference] = manifestDescriptor.digest
        }
        try? FileManager.default.removeItem(atPath: stage + "/images/ingest")
        let keys = root + "/vendor"
        try PushFixture.check(try airgap("airgap-bundle", ["keygen", "--out", keys]))
        publicKey = keys + ".pub"
        bundle = root + "/unpackable-1.0.0.tar.zst"
        try PushFixture.check(
            try airgap(
                "airgap-bundle",
                ["pack", stage, "--key", keys + ".key", "--output", bundle, "--name", "unpackable", "--version", "1.0.0", "--created", "1790000000"]
            ))
        self.images = images
    }

    /// A gzip tar layer holding one random file, and its diff ID (the SHA-256 of the tar).
    static func layer(named name: String, size: Int, in root: String) throws -> ([UInt8], String) {
        let directory = root + "/layer-\(name)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try Shell.check(["sh", "-c", "head -c \(size) /dev/urandom > '\(directory)/\(name)'"])
        try Shell.check(["tar", "-C", directory, "-cf", directory + ".tar", name])
        let tar = Array(try Data(contentsOf: URL(fileURLWithPath: directory + ".tar")))
        try Shell.check(["gzip", "-n", "-k", directory + ".tar"])
        return (Array(try Data(contentsOf: URL(fileURLWithPath: directory + ".tar.gz"))), Digest.of(tar).description)
    }
}

/// Debian's containerd 1.6, started by the test as root with its own root, state and socket under
/// a temporary folder, its CRI registry reading `hostsDirectory`; stopped by its PID, with every
/// mount left under its root unmounted.
final class ContainerdNode {
    let directory: String
    let socket: String
    let process: BackgroundProcess

    init(hostsDirectory: String) throws {
        directory = try TestPaths.scratch("containerd")
        socket = directory + "/containerd.sock"
        let config = """
            version = 2
            root = "\(directory)/root"
            state = "\(directory)/state"

            [grpc]
              address = "\(socket)"

            [plugins."io.containerd.grpc.v1.cri".registry]
              config_path = "\(hostsDirectory)"

            """
        try config.write(toFile: directory + "/config.toml", atomically: true, encoding: .utf8)
        process = try BackgroundProcess(
            ["containerd", "--config", directory + "/config.toml"], directory: directory, logPath: directory + "/containerd.log")
        // Ready when its API answers on the socket.
        while try Shell.run(["ctr", "--address", socket, "version"]).status != 0 {
            guard process.process.isRunning else { throw TestSupportError("containerd exited: \(process.log())") }
            usleep(100_000)
        }
    }

    func ctr(_ arguments: [String]) throws -> Shell.Result { try Shell.run(["ctr", "--address", socket] + arguments) }

    /// The digest `ctr images ls` shows for `reference`.
    func digest(of reference: String) throws -> String? {
        let listing = try ctr(["images", "ls"]).stdout
        for line in listing.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if fields.first.map(String.init) == reference, let digest = fields.first(where: { $0.hasPrefix("sha256:") }) { return String(digest) }
        }
        return nil
    }

    func stop() {
        process.stop()
        let mounts = (try? Shell.run(["findmnt", "-rn", "-o", "TARGET"]).stdout) ?? ""
        for target in mounts.split(separator: "\n").reversed() where target.hasPrefix(directory) {
            _ = try? Shell.run(["umount", "-R", String(target)])
        }
    }

    deinit { stop() }
}
