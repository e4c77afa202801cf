import Foundation
import Integrity
import OCI
import Registry

/// A blob of a synthetic image and where its bytes are.
public struct SyntheticBlob: Sendable {
    public let descriptor: Descriptor
    public let source: BlobSource

    public init(descriptor: Descriptor, source: BlobSource) {
        self.descriptor = descriptor
        self.source = source
    }
}

/// An image made up by a test: random layers, a config naming its platform, a manifest.
public struct SyntheticImage: Sendable {
    public let manifest: [UInt8]
    public let mediaType: String
    public let blobs: [SyntheticBlob]
    public let platform: Platform
    public var digest: Digest { Digest.of(manifest) }
    public var descriptor: Descriptor {
        Descriptor(mediaType: mediaType, digest: digest, size: Int64(manifest.count), platform: platform)
    }
    public var layers: [SyntheticBlob] { Array(blobs.dropFirst()) }
}

/// An index (OCI) or manifest list (Docker) over synthetic images.
public struct SyntheticIndex: Sendable {
    public let bytes: [UInt8]
    public let mediaType: String
    public let images: [SyntheticImage]
    public var digest: Digest { Digest.of(bytes) }
}

public enum ImageFormat: Sendable { case oci, docker }

/// Builds synthetic images and pushes them to a test registry.
public enum ImageFactory {
    /// Random bytes from /dev/urandom: in memory when small, else in a file under `directory`.
    public static func randomLayer(size: Int, format: ImageFormat = .oci, directory: String) throws -> SyntheticBlob {
        let mediaType = format == .oci ? MediaType.ociLayerTarGzip : MediaType.dockerLayerTarGzip
        if size <= 8 << 20 {
            let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: "/dev/urandom"))
            defer { try? handle.close() }
            let bytes = Array(try handle.read(upToCount: size) ?? Data())
            return SyntheticBlob(
                descriptor: Descriptor(mediaType: mediaType, digest: Digest.of(bytes), size: Int64(bytes.count)), source: .bytes(bytes))
        }
        let path = directory + "/layer-\(UUID().uuidString)"
        try Shell.check(["sh", "-c", "head -c \(size) /dev/urandom > '\(path)'"])
        let (hex, written) = try SHA256Hasher.hashFile(atPath: path)
        return SyntheticBlob(descriptor: Descriptor(mediaType: mediaType, digest: try Digest(sha256Hex: hex), size: written), source: .file(path))
    }

    /// An image manifest over `layers`, with a config that names `platform`.
    public static func image(layers: [SyntheticBlob], platform: Platform = .linuxAMD64, format: ImageFormat = .oci) -> SyntheticImage {
        var config: [String: Any] = [
            "architecture": platform.architecture, "os": platform.os,
            "rootfs": ["type": "layers", "diff_ids": layers.map { $0.descriptor.digest.description }],
            "config": ["Env": ["PATH=/usr/bin"]],
        ]
        if let variant = platform.variant { config["variant"] = variant }
        let configBytes = Array(try! JSONSerialization.data(withJSONObject: config, options: [.sortedKeys]))
        let configType = format == .oci ? MediaType.ociConfig : MediaType.dockerConfig
        let configBlob = SyntheticBlob(
            descriptor: Descriptor(mediaType: configType, digest: Digest.of(configBytes), size: Int64(configBytes.count)),
            source: .bytes(configBytes))
        let mediaType = format == .oci ? MediaType.ociManifest : MediaType.dockerManifest
        let manifest = ImageManifest(mediaType: mediaType, config: configBlob.descriptor, layers: layers.map(\.descriptor))
        return SyntheticImage(manifest: encode(manifest), mediaType: mediaType, blobs: [configBlob] + layers, platform: platform)
    }

    /// An index over `images`, each entry carrying its platform.
    public static func index(_ images: [SyntheticImage], format: ImageFormat = .oci, extraEntries: [Descriptor] = []) -> SyntheticIndex {
        let mediaType = format == .oci ? MediaType.ociIndex : MediaType.dockerManifestList
        let index = ImageIndex(mediaType: mediaType, manifests: images.map(\.descriptor) + extraEntries)
        return SyntheticIndex(bytes: encode(index), mediaType: mediaType, images: images)
    }

    /// Pushes the blobs (skipping present ones) and the manifest under `tag`.
    public static func push(_ image: SyntheticImage, to repository: ImageReference, tag: String?, client: RegistryClient) async throws {
        for blob in image.blobs where try await !client.blobExists(blob.descriptor.digest, size: blob.descriptor.size, in: repository) {
            try await client.uploadBlob(blob.source, as: blob.descriptor, to: repository)
        }
        try await client.putManifest(image.manifest, mediaType: image.mediaType, reference: tag ?? image.digest.description, in: repository)
    }

    /// Pushes every image of the index by digest, then the index under `tag`.
    public static func push(_ index: SyntheticIndex, to repository: ImageReference, tag: String, client: RegistryClient) async throws {
        for image in index.images { try await push(image, to: repository, tag: nil, client: client) }
        try await client.putManifest(index.bytes, mediaType: index.mediaType, reference: tag, in: repository)
    }

    static func encode<Value: Encodable>(_ value: Value) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try! encoder.encode(value))
    }
}

extension ImageFactory {
    /// Stores an image straight into an OCI layout (no registry), named `reference` in index.json.
    public static func store(_ image: SyntheticImage, in layout: OCILayout, as reference: String) throws {
        for blob in image.blobs {
            switch blob.source {
            case .bytes(let bytes): try layout.writeBlob(bytes, as: blob.descriptor)
            case .file(let path):
                try layout.writeBlob(Array(try Data(contentsOf: URL(fileURLWithPath: path))), as: blob.descriptor)
            }
        }
        try layout.writeBlob(image.manifest, as: image.descriptor)
        var entry = image.descriptor
        entry.platform = nil
        entry.annotations = [OCILayout.Annotation.refName: reference]
        try layout.addToIndex(entry)
    }
}
