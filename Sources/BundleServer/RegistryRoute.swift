import Foundation
import OCI

/// What a request to the distribution API asks for, parsed from its method and target.
enum RegistryRoute: Equatable {
    case base
    case catalog
    case tags(name: String)
    case manifest(name: String, reference: String)
    case blob(name: String, digest: String)
    case notFound

    /// Parses `/v2/...` (the query is parsed apart: see `namespace`).
    init(path: String) {
        guard path.hasPrefix("/v2") else {
            self = .notFound
            return
        }
        let rest = path.dropFirst(3)
        if rest.isEmpty || rest == "/" {
            self = .base
            return
        }
        guard rest.hasPrefix("/") else {
            self = .notFound
            return
        }
        let inner = String(rest.dropFirst())
        if inner == "_catalog" {
            self = .catalog
        } else if inner.hasSuffix("/tags/list") {
            self = .tags(name: String(inner.dropLast("/tags/list".count)))
        } else if let found = inner.range(of: "/manifests/", options: .backwards), found.lowerBound > inner.startIndex {
            self = .manifest(name: String(inner[..<found.lowerBound]), reference: String(inner[found.upperBound...]))
        } else if let found = inner.range(of: "/blobs/", options: .backwards), found.lowerBound > inner.startIndex {
            self = .blob(name: String(inner[..<found.lowerBound]), digest: String(inner[found.upperBound...]))
        } else {
            self = .notFound
        }
    }

    /// Splits a request target into its path and the `ns` query parameter containerd sends.
    static func split(_ target: String) -> (path: String, namespace: String?) {
        guard let mark = target.firstIndex(of: "?") else { return (target, nil) }
        let path = String(target[..<mark])
        for pair in target[target.index(after: mark)...].split(separator: "&") where pair.hasPrefix("ns=") {
            return (path, String(pair.dropFirst(3)).removingPercentEncoding)
        }
        return (path, nil)
    }

    /// A `Range: bytes=N-` or `bytes=N-M` header for an entry of `size` bytes: nil when absent,
    /// `.failure` when it cannot be satisfied (416).
    static func byteRange(_ header: String?, size: Int64) -> Result<Range<Int64>, RangeRefusal>? {
        guard let header else { return nil }
        let text = header.trimmingCharacters(in: .whitespaces)
        guard text.hasPrefix("bytes="), !text.contains(",") else { return .failure(RangeRefusal()) }
        let parts = text.dropFirst(6).split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, let first = Int64(parts[0]), first >= 0, first < size else { return .failure(RangeRefusal()) }
        if parts[1].isEmpty { return .success(first..<size) }
        guard let last = Int64(parts[1]), last >= first else { return .failure(RangeRefusal()) }
        return .success(first..<(min(last, size - 1) + 1))
    }

    struct RangeRefusal: Error {}
}
