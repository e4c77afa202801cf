import OCI

/// Sums of sizes a registry's manifests declare, in checked arithmetic: a manifest is hostile
/// input, and its sizes could be negative or add up past `Int64.max`.
enum DeclaredSizes {
    /// The sum of `sizes`, or nil when one is negative or the sum overflows.
    static func sum(_ sizes: some Sequence<Int64>) -> Int64? {
        var total: Int64 = 0
        for size in sizes {
            guard size >= 0, case (let sum, false) = total.addingReportingOverflow(size) else { return nil }
            total = sum
        }
        return total
    }

    /// The total size of an image's blobs (each counted once), or a failure naming the image and
    /// the blob whose size is refused.
    static func total(of blobs: [Descriptor], image: ImageReference) throws(PullFailure) -> Int64 {
        var seen = Set<Digest>()
        var total: Int64 = 0
        for blob in blobs where seen.insert(blob.digest).inserted {
            guard blob.size >= 0 else {
                throw PullFailure(message: "\(image): the manifest declares blob \(blob.digest) with a negative size \(blob.size)")
            }
            let (sum, overflow) = total.addingReportingOverflow(blob.size)
            guard !overflow else {
                throw PullFailure(
                    message:
                        "\(image): the manifest's blob sizes add up to more than \(Int64.max) bytes (at blob \(blob.digest) of \(blob.size) bytes); the registry's manifest is refused"
                )
            }
            total = sum
        }
        return total
    }
}
