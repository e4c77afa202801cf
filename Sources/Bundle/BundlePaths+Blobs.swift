import OCI

extension BundlePaths {
    /// Where an image blob (or manifest) lies in a bundle: `images/blobs/sha256/<hex>`.
    public static func blob(_ digest: Digest) -> String { "\(images)blobs/\(digest.algorithm)/\(digest.hex)" }

    /// The digest an entry path names when it is an image blob; nil for every other path.
    public static func blobDigest(_ path: String) -> Digest? {
        let prefix = images + "blobs/sha256/"
        guard path.hasPrefix(prefix) else { return nil }
        return try? Digest(sha256Hex: String(path.dropFirst(prefix.count)))
    }
}
