import Foundation
import NIOCore
import OCI
import System
import Transfer

/// A bundle stage's `images/` being written, as an image destination: a blob from an OCI layout
/// on the same file system is hard-linked (staging costs no disk and no reading); any other is
/// written from its bytes. The stage is packed right after, and removed.
public struct BundleStageDestination: ImageDestination {
    /// The stage's `images/` directory.
    public let root: String

    public init(root: String) { self.root = root }

    func path(_ digest: Digest) -> String { "\(root)/blobs/\(digest.algorithm)/\(digest.hex)" }

    public func hasBlob(_ descriptor: Descriptor) async throws -> Bool { FileManager.default.fileExists(atPath: path(descriptor.digest)) }

    public func mountBlob(_ descriptor: Descriptor, from source: any ImageSource) async throws -> Bool {
        guard let layout = (source as? LayoutSource)?.layout else { return false }
        let (from, to) = (layout.blobPath(descriptor.digest), path(descriptor.digest))
        try await BlockingWork.run { try StageLink.link(from, to: to) }
        return true
    }

    public func writeBlob(_ descriptor: Descriptor, _ body: BlobBody) async throws {
        let file = LockedAtomicFile(try AtomicFile(path(descriptor.digest), mode: 0o644))
        for try await piece in body {
            try await BlockingWork.run {
                try piece.withUnsafeReadableBytes { bytes in Result { () throws(FileSystemError) in try file.write(bytes) } }.get()
            }
        }
        try await BlockingWork.run { try file.commit() }
    }
}

/// A file put into a stage: a hard link, or a copy when the two paths are on different file systems.
public enum StageLink {
    public static func link(_ source: String, to destination: String) throws(TransferError) {
        if Foundation.link(source, destination) == 0 { return }
        let reason = errno
        guard reason == EXDEV || reason == EPERM || reason == EMLINK else {
            throw TransferError("cannot link \(source) to \(destination): \(String(cString: strerror(reason)))")
        }
        do { try FileManager.default.copyItem(atPath: source, toPath: destination) } catch {
            throw TransferError("cannot copy \(source) to \(destination): \(error.localizedDescription)")
        }
    }
}
