import Foundation
import System

/// A content-addressed OCI image layout on disk (image-spec `image-layout.md`).
///
/// Blobs live at `blobs/sha256/<hex>`; `index.json` names the images. Blobs are written to
/// `ingest/` first and renamed into place only after their digest checks and their bytes are
/// `fsync`ed, so in a layout this tool writes a blob file that exists is always whole and correct.
/// `index.json` is replaced atomically and durably; callers serialize their index updates (one
/// writer at a time). See docs/adr/0005-durable-writes.md.
///
/// A layout this tool did not write (another tool, an older version, a copy) carries no such
/// promise: opening it re-hashes every blob once and removes those that do not match their name,
/// then marks the layout as ours (`ingest/durable-layout.json`).
public struct OCILayout: Sendable {
    public let root: String
    /// Set when opening had to re-hash the blobs of a layout not marked as ours.
    public let adoption: Adoption?

    /// What opening a layout not marked as ours found.
    public struct Adoption: Sendable, Hashable {
        /// Blobs re-hashed.
        public var verifiedBlobs: Int
        /// Blob files removed because their content did not hash to their name (paths under the layout).
        public var removedBlobs: [String]
    }

    /// Annotation keys written on each image in `index.json`.
    public enum Annotation {
        /// The full normalized reference, e.g. `docker.io/library/nginx:1.27` (unique per image in one layout).
        public static let refName = "org.opencontainers.image.ref.name"
        /// The same, under containerd's key, so `ctr import` names the image.
        public static let containerdName = "io.containerd.image.name"
        /// The source reference pinned to the digest that was fetched: `docker.io/library/nginx:1.27@sha256:…`.
        public static let sourceReference = "io.astrago.airgap.source-reference"
        /// When only some platforms of an index were kept: the source index's digest.
        public static let sourceIndexDigest = "io.astrago.airgap.source-index-digest"
        /// The platforms kept, comma-separated.
        public static let platforms = "io.astrago.airgap.platforms"
    }

    /// Opens the layout at `root`, creating it if needed, and clears leftovers of interrupted
    /// writes. A layout not marked as ours has every blob re-hashed first (see `adoption`): this
    /// blocks for as long as reading every blob takes, so call it through `BlockingWork` from async code.
    public init(creatingAt root: String) throws(FileSystemError) {
        self.root = root.hasSuffix("/") && root.count > 1 ? String(root.dropLast()) : root
        let ingest = self.root + "/ingest"
        try PosixFile.makeDirectories(self.root + "/blobs/sha256")
        try PosixFile.makeDirectories(ingest)
        for name in try PosixFile.listDirectory(ingest) where name != DurabilityMark.fileName {
            try PosixFile.remove(ingest + "/" + name)
        }
        // Versions before ADR 5 staged index.json beside it.
        for name in try PosixFile.listDirectory(self.root) where name.hasPrefix("index.json.tmp-") || name.hasPrefix("oci-layout.tmp-") {
            try PosixFile.remove(self.root + "/" + name)
        }
        let layoutFile = self.root + "/oci-layout"
        if !PosixFile.exists(layoutFile) {
            try PosixFile.writeAtomically(Array(#"{"imageLayoutVersion":"1.0.0"}"#.utf8), to: layoutFile, temporaryDirectory: ingest)
        }
        if !PosixFile.exists(self.root + "/index.json") {
            try Self.writeIndex(ImageIndex(manifests: []), to: self.root + "/index.json", temporaryDirectory: ingest)
        }
        adoption = try DurabilityMark.adopt(root: self.root, blobs: self.root + "/blobs/sha256", markFile: ingest + "/" + DurabilityMark.fileName)
    }

    /// The file, relative to the layout, that marks it as ours (the only file `ingest/` keeps).
    public static let durabilityMarkPath = "ingest/" + DurabilityMark.fileName

    var ingestDirectory: String { root + "/ingest" }
    public var indexPath: String { root + "/index.json" }

    public func blobPath(_ digest: Digest) -> String { "\(root)/blobs/\(digest.algorithm)/\(digest.hex)" }

    /// Whether a blob is present with the expected size. In a layout we opened, every blob file
    /// was either written by us (verified, `fsync`ed, then renamed) or re-hashed when the layout
    /// was opened, so size is enough to tell a present blob.
    public func hasBlob(_ descriptor: Descriptor) -> Bool {
        PosixFile.regularFileSize(blobPath(descriptor.digest)) == descriptor.size
    }

    /// A writer that stores a blob streamed in pieces, verified before it appears.
    public func blobWriter(for descriptor: Descriptor) throws(FileSystemError) -> BlobWriter {
        try BlobWriter(expected: descriptor, finalPath: blobPath(descriptor.digest), temporaryDirectory: ingestDirectory)
    }

    /// Stores a small in-memory blob (a manifest or config) after checking it against `descriptor`.
    public func writeBlob(_ bytes: [UInt8], as descriptor: Descriptor) throws(BlobWriteError) {
        if hasBlob(descriptor) { return }
        let writer: BlobWriter
        do { writer = try blobWriter(for: descriptor) } catch { throw .io(error) }
        do {
            try bytes.withUnsafeBytes { buffer in try writer.write(buffer) }
        } catch let error as BlobWriteError {
            throw error
        } catch {
            throw .io(FileSystemError(path: blobPath(descriptor.digest), operation: "write", reason: "\(error)"))
        }
        try writer.commit()
    }

    /// Reads a small blob (manifest, config) whole.
    public func readBlob(_ digest: Digest) throws(FileSystemError) -> [UInt8] {
        try PosixFile.readAll(blobPath(digest))
    }

    public func readIndex() throws(LayoutError) -> ImageIndex {
        let bytes: [UInt8]
        do { bytes = try PosixFile.readAll(indexPath) } catch { throw .io(error) }
        do { return try JSONDecoder().decode(ImageIndex.self, from: Data(bytes)) } catch {
            throw .corruptIndex(path: indexPath, reason: error.humanDescription)
        }
    }

    /// Replaces `index.json` atomically and durably (its temporary file lives in `ingest/`, so an
    /// interrupted write leaves nothing outside it).
    public func writeIndex(_ index: ImageIndex) throws(FileSystemError) {
        try Self.writeIndex(index, to: indexPath, temporaryDirectory: ingestDirectory)
    }

    private static func writeIndex(_ index: ImageIndex, to path: String, temporaryDirectory: String) throws(FileSystemError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding plain Codable values cannot fail.
        let data = try! encoder.encode(index)
        try PosixFile.writeAtomically(Array(data), to: path, temporaryDirectory: temporaryDirectory)
    }

    /// Adds an image to `index.json`, replacing any entry with the same `ref.name`.
    public func addToIndex(_ descriptor: Descriptor) throws(LayoutError) {
        var index = try readIndex()
        let name = descriptor.annotations?[Annotation.refName]
        index.manifests.removeAll { name != nil && $0.annotations?[Annotation.refName] == name }
        index.manifests.append(descriptor)
        do { try writeIndex(index) } catch { throw .io(error) }
    }
}

/// A layout that cannot be read or written.
public enum LayoutError: Error, Sendable, CustomStringConvertible {
    case io(FileSystemError)
    case corruptIndex(path: String, reason: String)

    public var description: String {
        switch self {
        case .io(let error): return error.description
        case .corruptIndex(let path, let reason): return "\(path) is not a valid OCI index: \(reason)"
        }
    }
}
