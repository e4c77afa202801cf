import Foundation
import Yams

/// Loads YAML that a chart controls without trusting it: the text's size, the nesting depth and
/// the number of nodes (aliases expand: each use counts again) are bounded, and text that may
/// use an alias inside a mapping key is refused before Yams sees it (`YAMLAliasKeyScan`).
/// libyaml itself stops at 1,000 nesting levels, so composing cannot exhaust the stack.
///
/// Values come out as `[String: Any]`, `[Any]`, `Bool` (plain `true`/`false`), `NSNull` and
/// `String` — numbers stay as written (`1.10`, not `1.1`), which is what a tag needs.
public enum BoundedYAML {
    /// How much one load may read.
    public struct Limits: Sendable {
        /// Bytes of text.
        public var maximumBytes: Int
        /// Levels of nested collections.
        public var maximumDepth: Int
        /// Nodes made, counting every expansion of an alias.
        public var maximumNodes: Int

        /// A document inside a ConfigMap value.
        public init(maximumBytes: Int, maximumDepth: Int, maximumNodes: Int) {
            self.maximumBytes = maximumBytes
            self.maximumDepth = maximumDepth
            self.maximumNodes = maximumNodes
        }

        static let embeddedDocument = Limits(maximumBytes: 1 << 20, maximumDepth: 64, maximumNodes: 1_000_000)
        /// One document of `helm template` output (CRDs can be megabytes; they are no deeper than
        /// about 40 levels).
        static let renderedManifest = Limits(maximumBytes: 64 << 20, maximumDepth: 64, maximumNodes: 4_000_000)
    }

    /// Why a text was not loaded.
    public enum Refusal: Error, Sendable, CustomStringConvertible {
        case tooLarge(bytes: Int, limit: Int)
        case tooDeep(limit: Int)
        case tooManyNodes(limit: Int)
        case aliasMayBeKey
        case invalid(String)

        public var description: String {
            switch self {
            case .tooLarge(let bytes, let limit): return "it is \(bytes) bytes, over the limit of \(limit) bytes"
            case .tooDeep(let limit): return "it is nested deeper than \(limit) levels"
            case .tooManyNodes(let limit): return "it expands to more than \(limit) nodes (YAML aliases)"
            case .aliasMayBeKey: return "it may use a YAML alias in a mapping key, which can expand without bound"
            case .invalid(let reason): return "it is not valid YAML: \(reason)"
            }
        }
    }

    /// Every document in the text (`---` separated).
    static func loadAll(_ text: String, limits: Limits) throws(Refusal) -> [Any] {
        try compose(text, limits: limits) { node, budget in try convert(node, depth: 1, limits: limits, budget: &budget) }
    }

    /// Every document of the text as Yams nodes (scalar styles, key order and line marks kept),
    /// after the same checks as `loadAll`: size, aliases in keys, depth and node count (every
    /// use of an alias counts again). For readers that need more than plain values.
    public static func loadAllNodes(_ text: String, limits: Limits) throws(Refusal) -> [Node] {
        try compose(text, limits: limits) { node, budget in
            _ = try convert(node, depth: 1, limits: limits, budget: &budget)
            return node
        }
    }

    private static func compose<T>(_ text: String, limits: Limits, _ each: (Node, inout Int) throws -> T) throws(Refusal) -> [T] {
        let size = text.utf8.count
        guard size <= limits.maximumBytes else { throw .tooLarge(bytes: size, limit: limits.maximumBytes) }
        guard !YAMLAliasKeyScan.mayUseAliasAsKey(text) else { throw .aliasMayBeKey }
        var budget = limits.maximumNodes
        var documents: [T] = []
        do {
            let parser = try Parser(yaml: text)
            while let node = try parser.nextRoot() { documents.append(try each(node, &budget)) }
        } catch let refusal as Refusal {
            throw refusal
        } catch {
            // libyaml's own guard (1,000 levels) fires before ours can on very deep text.
            if "\(error)".contains("Maximum nesting level reached") { throw .tooDeep(limit: limits.maximumDepth) }
            throw .invalid("\(error)")
        }
        return documents
    }

    /// The single document of a text (nil when it is empty).
    static func load(_ text: String, limits: Limits) throws(Refusal) -> Any? {
        let documents = try loadAll(text, limits: limits)
        guard documents.count <= 1 else { throw .invalid("expected one document, found \(documents.count)") }
        return documents.first
    }

    private static let trueWords: Set<String> = ["true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON"]
    private static let falseWords: Set<String> = ["false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF"]
    private static let nullWords: Set<String> = ["", "~", "null", "Null", "NULL"]

    private static func convert(_ node: Node, depth: Int, limits: Limits, budget: inout Int) throws -> Any {
        budget -= 1
        guard budget >= 0 else { throw Refusal.tooManyNodes(limit: limits.maximumNodes) }
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
            guard depth <= limits.maximumDepth else { throw Refusal.tooDeep(limit: limits.maximumDepth) }
            var list: [Any] = []
            for child in sequence { list.append(try convert(child, depth: depth + 1, limits: limits, budget: &budget)) }
            return list
        case .mapping(let mapping):
            guard depth <= limits.maximumDepth else { throw Refusal.tooDeep(limit: limits.maximumDepth) }
            var map: [String: Any] = [:]
            var merged: [[String: Any]] = []
            for (key, value) in mapping {
                guard case .scalar(let keyScalar) = key else { continue }  // complex keys name nothing we read
                let converted = try convert(value, depth: depth + 1, limits: limits, budget: &budget)
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
            return NSNull()  // Yams resolves aliases while composing; none remain here.
        }
    }
}
