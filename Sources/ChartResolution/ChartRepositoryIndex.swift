import ChartFormat
import Foundation
import Rendering
import Yams

/// A Helm chart repository's `index.yaml`: every version of every chart, with archive URLs and digests.
public struct ChartRepositoryIndex: Sendable, Decodable {
    public struct Entry: Sendable, Decodable {
        public var name: String
        public var version: String
        public var appVersion: String?
        public var urls: [String]
        /// SHA-256 hex of the chart archive.
        public var digest: String?
    }

    public var apiVersion: String?
    public var entries: [String: [Entry]]

    /// Reads `index.yaml` within `BoundedYAML.Limits.repositoryIndex`, walking each mapping once
    /// (memory and time linear in its size; a keyed decoder looks every key up in a list).
    /// Fields other than those above are not read; an entry without a name, version or URL is an error.
    public static func parse(_ bytes: [UInt8], source: String) throws -> ChartRepositoryIndex {
        let root: Node?
        do { root = try BoundedYAML.compose(String(decoding: bytes, as: UTF8.self), limits: .repositoryIndex) } catch {
            throw ChartError(message: "\(source) is not a valid chart repository index: \(error)")
        }
        guard let top = root?.mapping else { throw ChartError(message: "\(source) is not a valid chart repository index: it is not a mapping") }
        var index = ChartRepositoryIndex(apiVersion: nil, entries: [:])
        for (key, value) in top {
            switch key.string {
            case "apiVersion": index.apiVersion = value.string
            case "entries":
                guard let charts = value.mapping else { throw ChartError(message: "\(source): entries is not a mapping of charts") }
                for (chart, versions) in charts {
                    let name = chart.string ?? ""
                    guard let list = versions.sequence else { throw ChartError(message: "\(source): entries.\(name) is not a list") }
                    index.entries[name] = try list.map { try Entry(node: $0, source: "\(source): entries.\(name)") }
                }
            default: continue
            }
        }
        return index
    }

    /// The highest version of `name` satisfying `constraint`, or an error listing the nearest versions.
    public func best(_ name: String, _ constraint: VersionConstraint, repository: String) throws -> Entry {
        guard let versions = entries[name], !versions.isEmpty else {
            let near = entries.keys.sorted().filter { $0.contains(name) || name.contains($0) }.prefix(5)
            throw ChartError(
                message: "chart \"\(name)\" is not in \(repository)" + (near.isEmpty ? "" : "; similar names: \(near.joined(separator: ", "))"))
        }
        let parsed = versions.compactMap { entry in SemanticVersion(entry.version).map { ($0, entry) } }
        if let best = parsed.filter({ constraint.matches($0.0) }).max(by: { $0.0 < $1.0 }) { return best.1 }
        throw ChartError(
            message:
                "no version of chart \"\(name)\" in \(repository) satisfies \"\(constraint)\"; nearest: \(Self.nearest(parsed.map(\.0), to: constraint).joined(separator: ", "))"
        )
    }

    /// A few versions around what was asked, newest first, for error messages.
    static func nearest(_ versions: [SemanticVersion], to constraint: VersionConstraint) -> [String] {
        let sorted = versions.sorted(by: >)
        let bare = constraint.text.split(separator: " ").first.map { String($0).trimmingCharacters(in: CharacterSet(charactersIn: "^~=<>")) } ?? ""
        guard let target = SemanticVersion(bare) else { return sorted.prefix(5).map(\.original) }
        let position = sorted.firstIndex { $0 <= target } ?? sorted.count
        let window = sorted[max(0, position - 3)..<min(sorted.count, position + 3)]
        return window.map(\.original)
    }
}

/// A chart that cannot be resolved, fetched or packaged.
public struct ChartError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
    public init(message: String) { self.message = message }
}

extension ChartRepositoryIndex.Entry {
    /// One mapping of `entries.NAME[]`, each field looked at once.
    init(node: Node, source: String) throws {
        guard let mapping = node.mapping else { throw ChartError(message: "\(source) holds an entry that is not a mapping") }
        var name: String?, version: String?, appVersion: String?, digest: String?, urls: [String]?
        for (key, value) in mapping {
            switch key.string {
            case "name": name = value.string
            case "version": version = value.string
            case "appVersion": appVersion = value.string
            case "digest": digest = value.string
            case "urls": urls = value.sequence?.compactMap(\.string)
            default: continue
            }
        }
        guard let name, let version, let urls else {
            throw ChartError(message: "\(source) holds an entry without a name, version or urls (line \(node.mark?.line ?? 0))")
        }
        self.init(name: name, version: version, appVersion: appVersion, urls: urls, digest: digest)
    }
}
