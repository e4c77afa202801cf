import Bundle
import Dispatch
import Integrity
import OCI
import Synchronization

/// The SHA-256 of every staged file, known before the archive is written (`bundle.json`, its
/// first entry, lists them all).
///
/// Blob files of an image layout we wrote — one that carries OCI's durability mark (see
/// docs/adr/0005-durable-writes.md) — are taken by their names, `images/blobs/sha256/<hex>`, and
/// not read here: the pack hashes each one as it writes it into the archive and fails if it does
/// not match (`trustedByName`). Every other file is hashed up front.
struct StagedDigests {
    /// Lowercase hex SHA-256 of each staged file, in the order of `StagedDirectory.files`.
    let hex: [String]
    /// Whether the digest of each file was taken from its name and must be checked while it is written.
    let trustedByName: [Bool]

    init(_ staged: StagedDirectory) throws {
        let layoutIsOurs = OCILayout.carriesDurabilityMark(staged.root + "/" + BundlePaths.images)
        let named = staged.files.map { layoutIsOurs ? BundlePaths.blobDigest($0.path)?.hex : nil }
        let toHash = staged.files.indices.filter { named[$0] == nil }
        let hashed = try Self.hashAll(toHash.map { staged.files[$0] })
        var hex = named.map { $0 ?? "" }
        for (index, digest) in zip(toHash, hashed) {
            let file = staged.files[index]
            // A blob file must hash to its name in any layout: the bundle would carry a lie.
            if let name = BundlePaths.blobDigest(file.path)?.hex, name != digest {
                throw BundleError.usage(
                    "\(file.absolutePath): this blob's content does not hash to its name (it hashes to sha256:\(digest)); the image layout is damaged: pull the image again"
                )
            }
            hex[index] = digest
        }
        self.hex = hex
        trustedByName = named.map { $0 != nil }
    }

    /// SHA-256 of every file, one per core at a time.
    private static func hashAll(_ files: [StagedDirectory.File]) throws -> [String] {
        let results = Mutex([Result<String, Error>?](repeating: nil, count: files.count))
        DispatchQueue.concurrentPerform(iterations: files.count) { index in
            let result = Result<String, Error> {
                let (hex, size) = try SHA256Hasher.hashFile(atPath: files[index].absolutePath)
                guard size == files[index].size else { throw BundleError.usage("\(files[index].absolutePath) changed while packing") }
                return hex
            }
            results.withLock { $0[index] = result }
        }
        return try results.withLock { $0 }.map { try $0!.get() }
    }
}
