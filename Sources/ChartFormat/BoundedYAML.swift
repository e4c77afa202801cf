import Foundation
import Yams

/// The one way YAML enters these tools: every parser entry point (the manifest, `Chart.yaml`,
/// chart values, a chart repository's `index.yaml`, `site.yaml`, what a chart renders, documents
/// inside ConfigMaps) reads its text through here, with limits named for it. The text's size, the
/// documents, the nodes made, the nesting depth and what aliases expand to (in nodes and in
/// scalar bytes, every use counted again) are all bounded while the text is composed
/// (`BoundedYAMLComposer`), so memory and time grow linearly with the input and never past the
/// limits. The limits are listed in the security guide's threat model.
///
/// `load`/`loadAll` give `[String: Any]`, `[Any]`, `Bool` (plain `true`/`false`), `NSNull` and
/// `String` — numbers stay as written (`1.10`, not `1.1`), which is what a tag needs.
/// `compose`/`composeAll` give Yams nodes (with line marks), `decode` a `Decodable`.
public enum BoundedYAML {
    /// How much one load may read and make.
    public struct Limits: Sendable {
        /// Bytes of text.
        public var maximumBytes: Int
        /// Levels of nested collections (an alias counts the depth of what it names).
        public var maximumDepth: Int
        /// Documents (`---` separated).
        public var maximumDocuments: Int
        /// Nodes made while composing: what the text costs in memory.
        public var maximumNodes: Int
        /// Nodes counting every use of an alias as its whole subtree: what reading or writing
        /// the result costs.
        public var maximumExpandedNodes: Int
        /// Scalar bytes counting every use of an alias again: the size of the result written out.
        public var maximumExpandedBytes: Int

        /// A document inside a ConfigMap value or a chart annotation.
        public static let embeddedDocument = Limits(
            maximumBytes: 1 << 20, maximumDepth: 64, maximumDocuments: 100, maximumNodes: 200_000, maximumExpandedNodes: 1_000_000,
            maximumExpandedBytes: 16 << 20)
        /// One document of what a chart renders (CRDs can be megabytes; they are no deeper than
        /// about 40 levels).
        public static let renderedManifest = Limits(
            maximumBytes: 16 << 20, maximumDepth: 64, maximumDocuments: 1, maximumNodes: 500_000, maximumExpandedNodes: 2_000_000,
            maximumExpandedBytes: 64 << 20)
        /// The site's `site.yaml`.
        public static let siteValues = Limits(
            maximumBytes: 1 << 20, maximumDepth: 32, maximumDocuments: 1, maximumNodes: 100_000, maximumExpandedNodes: 100_000,
            maximumExpandedBytes: 4 << 20)
        /// A bundle manifest.
        public static let manifest = Limits(
            maximumBytes: 1 << 20, maximumDepth: 32, maximumDocuments: 1, maximumNodes: 100_000, maximumExpandedNodes: 200_000,
            maximumExpandedBytes: 8 << 20)
        /// A chart's `Chart.yaml`.
        public static let chartMetadata = Limits(
            maximumBytes: 1 << 20, maximumDepth: 32, maximumDocuments: 1, maximumNodes: 100_000, maximumExpandedNodes: 200_000,
            maximumExpandedBytes: 8 << 20)
        /// A chart's `values.yaml` or a manifest's values file.
        public static let chartValues = Limits(
            maximumBytes: 16 << 20, maximumDepth: 64, maximumDocuments: 1, maximumNodes: 500_000, maximumExpandedNodes: 2_000_000,
            maximumExpandedBytes: 64 << 20)
        /// A chart repository's `index.yaml` (large public ones are a few MB).
        public static let repositoryIndex = Limits(
            maximumBytes: 16 << 20, maximumDepth: 16, maximumDocuments: 1, maximumNodes: 1_500_000, maximumExpandedNodes: 1_500_000,
            maximumExpandedBytes: 32 << 20)
    }

    /// Why a text was not loaded: each names the limit it crossed.
    public enum Refusal: Error, Sendable, CustomStringConvertible {
        case tooLarge(bytes: Int, limit: Int)
        /// Read no further than the limit, so its whole size is not known.
        case tooLargeToRead(limit: Int)
        case tooDeep(limit: Int)
        case tooManyNodes(limit: Int)
        case tooManyDocuments(limit: Int)
        case expandsTooFar(nodes: Int)
        case expandsTooLarge(bytes: Int)
        case invalid(String, line: Int?)

        public var description: String {
            switch self {
            case .tooLarge(let bytes, let limit): return "it is \(bytes) bytes, over the limit of \(limit) bytes"
            case .tooLargeToRead(let limit): return "it is more than \(limit) bytes, over the limit of \(limit) bytes"
            case .tooDeep(let limit): return "it is nested deeper than the limit of \(limit) levels"
            case .tooManyNodes(let limit): return "it holds more than the limit of \(limit) YAML nodes"
            case .tooManyDocuments(let limit): return "it holds more than the limit of \(limit) YAML document\(limit == 1 ? "" : "s")"
            case .expandsTooFar(let limit): return "its YAML aliases expand to more than the limit of \(limit) nodes"
            case .expandsTooLarge(let limit): return "its YAML aliases expand to more than the limit of \(limit) bytes of text"
            case .invalid(let reason, let line): return "it is not valid YAML\(line.map { " (line \($0))" } ?? ""): \(reason)"
            }
        }
    }

    /// Every document in the text (`---` separated), as nodes with line marks.
    public static func composeAll(_ text: String, limits: Limits) throws(Refusal) -> [Node] {
        let size = text.utf8.count
        guard size <= limits.maximumBytes else { throw .tooLarge(bytes: size, limit: limits.maximumBytes) }
        return try BoundedYAMLComposer.composeAll(text, limits: limits)
    }

    /// The single document of a text as a node (nil when it is empty); a second document is refused.
    public static func compose(_ text: String, limits: Limits) throws(Refusal) -> Node? {
        var single = limits
        single.maximumDocuments = 1
        return try composeAll(text, limits: single).first
    }

    /// The single document of a text decoded as `type` (an empty text decodes as an empty scalar,
    /// as Yams decodes it). Throws `Refusal`, or the decoder's error.
    public static func decode<T: Decodable>(_ type: T.Type, from text: String, limits: Limits) throws -> T {
        let node = try compose(text, limits: limits)
        return try YAMLDecoder().decode(type, from: node ?? Node(""))
    }

    /// Every document in the text (`---` separated).
    public static func loadAll(_ text: String, limits: Limits) throws(Refusal) -> [Any] {
        try composeAll(text, limits: limits).map(convert)
    }

    /// The single document of a text (nil when it is empty).
    public static func load(_ text: String, limits: Limits) throws(Refusal) -> Any? {
        try compose(text, limits: limits).map(convert)
    }

    private static let trueWords: Set<String> = ["true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON"]
    private static let falseWords: Set<String> = ["false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF"]
    private static let nullWords: Set<String> = ["", "~", "null", "Null", "NULL"]

    /// Plain values from a node already within its limits (aliases were counted while composing).
    private static func convert(_ node: Node) -> Any {
        switch node {
        case .scalar(let scalar):
            // YAML 1.1's plain booleans and nulls, as Kubernetes reads them; looked up in sets
            // rather than through Yams' regular expressions, which cost microseconds per node.
            if scalar.style == .plain || scalar.style == .any {
                if trueWords.contains(scalar.string) { return true }
                if falseWords.contains(scalar.string) { return false }
                if nullWords.contains(scalar.string) { return NSNull() }
            }
            return scalar.string
        case .sequence(let sequence):
            return sequence.map(convert)
        case .mapping(let mapping):
            var map: [String: Any] = [:]
            var merged: [[String: Any]] = []
            for (key, value) in mapping {
                guard case .scalar(let keyScalar) = key else { continue }  // a collection as a key names nothing we read
                let converted = convert(value)
                if keyScalar.string == "<<", keyScalar.style == .plain {
                    if let single = converted as? [String: Any] { merged.append(single) }
                    for case let each as [String: Any] in converted as? [Any] ?? [] { merged.append(each) }
                    continue
                }
                map[keyScalar.string] = converted
            }
            for source in merged { map.merge(source) { own, _ in own } }
            return map
        case .alias:
            return NSNull()  // the composer resolves aliases; none remain here.
        }
    }
}
