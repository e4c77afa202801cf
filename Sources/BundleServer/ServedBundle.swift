import Bundle
import NIOCore
import NIOPosix
import OCI

/// What every connection of the server shares: the archive, the names it answers, the checked
/// reads of its entries, the pool that runs them off the event loops, the budget of unsent
/// pieces, and the access log.
struct ServedBundle: Sendable {
    let archive: BundleArchive
    let repositories: ServedRepositories
    let entries: any VerifiedEntrySource
    let pool: NIOThreadPool
    let budget: PieceBudget
    let log: @Sendable (AccessRecord) -> Void

    /// The most bytes one piece asks for: a whole frame (a piece never spans two).
    static let largestPiece = 4 << 20
}
