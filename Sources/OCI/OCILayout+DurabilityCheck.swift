import Foundation

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
        guard let identity = try? PosixFile.identity(root),
            let bytes = try? PosixFile.readAll(root + "/" + durabilityMarkPath, limit: 4096),
            let found = try? JSONDecoder().decode(DurabilityMark.Content.self, from: Data(bytes))
        else { return false }
        // The values `DurabilityMark.adopt` writes.
        let expected = DurabilityMark.Content(writer: "airgap-bundle", durableWrites: 1, device: identity.device, inode: identity.inode)
        return found == expected
    }
}
