import Bundle
import NIOCore
import NIOPosix
import OCI
import Transfer

/// What every connection of the server shares: the archive, the names it answers, the checked
/// reads of its entries, the pool that runs them off the event loops, and the access log.
struct ServedBundle: Sendable {
    let archive: BundleArchive
    let repositories: ServedRepositories
    let entries: any VerifiedEntrySource
    let pool: NIOThreadPool
    let log: @Sendable (AccessRecord) -> Void

    /// The most bytes one piece holds: one chunk, so a connection holds at most 256 KiB unsent.
    static let largestPiece = CheckedFrames.chunkSize
}
