import Bundle

/// What a pass over a bundle archive does with the entries that are not blobs being copied (a
/// push keeps the manifests in memory and stages charts and files). Called on the thread that
/// reads the archive, in archive order; each entry's bytes have been checked against the signed
/// `bundle.json` by the time `finish` is called.
public protocol ArchiveEntryKeeper: Sendable {
    /// Whether it keeps `entry`; false: its bytes need not be read (random access skips them).
    mutating func begin(_ entry: BundleIndex.Entry) throws -> Bool
    mutating func write(_ chunk: UnsafeRawBufferPointer) throws
    mutating func finish(_ entry: BundleIndex.Entry) throws
    /// The pass failed inside the entry begun last: drop what was kept of it.
    mutating func abandon()
}

/// Keeps nothing (a repair pass, which reads only the blobs that failed).
public struct KeepingNothing: ArchiveEntryKeeper {
    public init() {}
    public mutating func begin(_ entry: BundleIndex.Entry) throws -> Bool { false }
    public mutating func write(_ chunk: UnsafeRawBufferPointer) throws {}
    public mutating func finish(_ entry: BundleIndex.Entry) throws {}
    public mutating func abandon() {}
}
