import Foundation
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

    public static func parse(_ bytes: [UInt8], source: String) throws -> ChartRepositoryIndex {
        do { return try YAMLDecoder().decode(ChartRepositoryIndex.self, from: String(decoding: bytes, as: UTF8.self)) } catch {
            throw ChartError(message: "\(source) is not a valid chart repository index: \(error)")
        }
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
