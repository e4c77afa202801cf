import Foundation
import System

extension OCILayout {
    /// Whether the layout at `root` carries a valid durability mark (`ingest/durable-layout.json`
    /// naming this directory's device and inode), so that every blob file at its final name was
    /// written by us, verified and `fsync`ed, or re-hashed when the layout was opened.
    ///
    /// Read-only: unlike `init(creatingAt:)` it creates, clears and re-hashes nothing. A missing,
    /// unreadable or garbled mark, or a mark of another directory (a copy), gives false; so does
    /// a mark written by a future version with other fields, which only costs a re-hash.
    public static func carriesDurabilityMark(_ root: String) -> Bool {
        let root = root.hasSuffix("/") && root.count > 1 ? String(root.dropLast()) : root
        guard let expected = try? DurabilityMark.expected(for: root) else { return false }
        return DurabilityMark.isPresent(expected, at: root + "/" + durabilityMarkPath)
    }

    /// Marks `root` as ours when every blob file in it is a hard link to a blob of `source`, a
    /// layout that carries the mark (or a copy of one, made by this process and not yet trusted
    /// across a crash — the staged layout `build` packs and then deletes). Its blobs are then
    /// trusted by name as the source's are; `pack` still checks each one as it writes it.
    /// Returns false, writing nothing, when `source` is not marked.
    @discardableResult
    public static func markLinkedLayout(_ root: String, linkedFrom source: String) throws(FileSystemError) -> Bool {
        guard carriesDurabilityMark(source) else { return false }
        let root = root.hasSuffix("/") && root.count > 1 ? String(root.dropLast()) : root
        try PosixFile.makeDirectories(root + "/ingest")
        try DurabilityMark.write(try DurabilityMark.expected(for: root), to: root + "/" + durabilityMarkPath)
        return true
    }
}
