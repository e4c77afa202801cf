import Synchronization

/// Bytes read of the archive so far, for a progress line (the pusher prints nothing itself).
final class ProgressCounter: Sendable {
    private let state = Mutex((total: Int64(0), done: Int64(0)))
    private let report: @Sendable (Int64, Int64) -> Void

    init(report: @escaping @Sendable (Int64, Int64) -> Void) { self.report = report }

    func setTotal(_ total: Int64) {
        let now = state.withLock {
            $0.total = total; return $0
        }
        report(now.total, now.done)
    }

    func advance(_ bytes: Int64) {
        let now = state.withLock {
            $0.done += bytes; return $0
        }
        report(now.total, now.done)
    }
}
