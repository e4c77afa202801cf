import Synchronization

/// Bounds the bytes of response pieces read but not yet written to their sockets. A piece may be
/// as large as the rest of its frame (so a frame is decompressed once per read) while the budget
/// lasts; past it, pieces shrink to `floor`, so memory stays within `limit` + connections ×
/// `floor` however slow the clients are.
final class PieceBudget: Sendable {
    let limit: Int
    let floor: Int
    private let outstanding = Mutex(0)

    init(limit: Int, floor: Int) {
        self.limit = limit
        self.floor = floor
    }

    /// How many of `wanted` bytes a piece may take now; hand the answer back to `release` once the
    /// piece is written (or dropped).
    func grant(_ wanted: Int) -> Int {
        outstanding.withLock { used in
            let granted = used + wanted <= limit ? wanted : min(wanted, floor)
            used += granted
            return granted
        }
    }

    func release(_ granted: Int) {
        outstanding.withLock { $0 -= granted }
    }
}
