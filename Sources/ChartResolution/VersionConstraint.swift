import Foundation
import Rendering

/// A chart version constraint as Helm writes them: exact (`v4.7.0`), comparisons (`>=1.0 <2.0`,
/// `>=1.0, <2.0`), caret (`^1.2`), tilde (`~1.2.3`), wildcards (`1.2.x`, `*`), hyphen ranges
/// (`1.2 - 1.4.5`) and alternatives (`^1 || ^2`). Pre-releases match only constraints that name one.
public struct VersionConstraint: Sendable, CustomStringConvertible {
    struct Comparator: Sendable {
        enum Operation: Sendable { case equal, notEqual, greater, greaterOrEqual, less, lessOrEqual }
        var operation: Operation
        var version: SemanticVersion

        func matches(_ candidate: SemanticVersion) -> Bool {
            switch operation {
            case .equal: return candidate == version
            case .notEqual: return candidate != version
            case .greater: return candidate > version
            case .greaterOrEqual: return candidate >= version
            case .less: return candidate < version
            case .lessOrEqual: return candidate <= version
            }
        }
    }

    /// OR of AND-groups.
    let alternatives: [[Comparator]]
    public let text: String
    public var description: String { text }

    /// Whether the constraint names one exact version (no operators).
    public var isExact: Bool {
        alternatives.count == 1 && alternatives[0].count == 1 && alternatives[0][0].operation == .equal && !text.contains("=")
    }

    public init(parsing text: String) throws(VersionConstraintError) {
        self.text = text
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { throw VersionConstraintError(input: text, reason: "it is empty") }
        alternatives = try trimmed.components(separatedBy: "||").map { alternative throws(VersionConstraintError) in
            try Self.parseGroup(alternative.trimmingCharacters(in: .whitespaces), whole: text)
        }
    }

    public func matches(_ version: SemanticVersion) -> Bool {
        alternatives.contains { group in
            // A pre-release only matches a group that names a pre-release of the same x.y.z.
            if version.isPrerelease,
                !group.contains(where: {
                    $0.version.isPrerelease && ($0.version.major, $0.version.minor, $0.version.patch) == (version.major, version.minor, version.patch)
                })
            {
                return false
            }
            return group.allSatisfy { $0.matches(version) }
        }
    }

    /// The highest of `candidates` that matches.
    public func best(of candidates: [SemanticVersion]) -> SemanticVersion? { candidates.filter(matches).max() }

    private static func parseGroup(_ text: String, whole: String) throws(VersionConstraintError) -> [Comparator] {
        func fail(_ reason: String) -> VersionConstraintError { VersionConstraintError(input: whole, reason: reason) }
        guard !text.isEmpty else { throw fail("an alternative after '||' is empty") }
        // Hyphen range: "A - B".
        let hyphen = text.components(separatedBy: " - ")
        if hyphen.count == 2 {
            let (low, _) = try bound(hyphen[0].trimmingCharacters(in: .whitespaces), fail)
            let (high, highParts) = try bound(hyphen[1].trimmingCharacters(in: .whitespaces), fail)
            let upper: Comparator =
                highParts == 3
                ? Comparator(operation: .lessOrEqual, version: high)
                : Comparator(
                    operation: .less, version: highParts == 2 ? SemanticVersion(high.major, high.minor + 1, 0) : SemanticVersion(high.major + 1, 0, 0)
                )
            return [Comparator(operation: .greaterOrEqual, version: low), upper]
        }
        // Tokens: split on commas and spaces, keeping an operator attached to the version after it.
        var tokens: [String] = []
        var pendingOperator = ""
        for raw in text.replacingOccurrences(of: ",", with: " ").split(separator: " ").map(String.init) {
            if raw.allSatisfy({ "<>=!~^".contains($0) }) { pendingOperator += raw; continue }
            tokens.append(pendingOperator + raw)
            pendingOperator = ""
        }
        if !pendingOperator.isEmpty { throw fail("the operator \"\(pendingOperator)\" has no version after it") }
        var result: [Comparator] = []
        for token in tokens { result += try comparators(token, fail) }
        return result
    }

    private static func comparators(_ token: String, _ fail: (String) -> VersionConstraintError) throws(VersionConstraintError) -> [Comparator] {
        let operators = ["~>", ">=", "<=", "!=", "=", ">", "<", "~", "^"]
        let op = operators.first { token.hasPrefix($0) } ?? ""
        let versionText = String(token.dropFirst(op.count)).trimmingCharacters(in: .whitespaces)
        if versionText == "*" || versionText.lowercased() == "x" || versionText.isEmpty && op.isEmpty {
            return [Comparator(operation: .greaterOrEqual, version: SemanticVersion(0, 0, 0))]
        }
        let (version, parts) = try bound(versionText, fail)
        let nextMajor = SemanticVersion(version.major + 1, 0, 0)
        let nextMinor = SemanticVersion(version.major, version.minor + 1, 0)
        // The first version past a partial one (1 → 2.0.0, 1.2 → 1.3.0).
        let next = parts == 1 ? nextMajor : nextMinor
        switch op {
        case "^":
            let upper: SemanticVersion
            if version.major > 0 || parts == 1 {
                upper = nextMajor
            } else if version.minor > 0 || parts == 2 {
                upper = nextMinor
            } else {
                upper = SemanticVersion(0, 0, version.patch + 1)
            }
            return [Comparator(operation: .greaterOrEqual, version: version), Comparator(operation: .less, version: upper)]
        case "" where parts == 3, "=" where parts == 3: return [Comparator(operation: .equal, version: version)]
        case "~", "~>", "", "=":
            // A partial or wildcard version is a range: 1.2 == 1.2.x.
            return [Comparator(operation: .greaterOrEqual, version: version), Comparator(operation: .less, version: next)]
        case "!=": return [Comparator(operation: .notEqual, version: version)]
        case ">": return [parts == 3 ? Comparator(operation: .greater, version: version) : Comparator(operation: .greaterOrEqual, version: next)]
        case ">=": return [Comparator(operation: .greaterOrEqual, version: version)]
        case "<": return [Comparator(operation: .less, version: version)]
        case "<=": return [parts == 3 ? Comparator(operation: .lessOrEqual, version: version) : Comparator(operation: .less, version: next)]
        default: throw fail("unknown operator \"\(op)\"")
        }
    }

    /// A version that may be partial or end in a wildcard: returns it and how many parts were given.
    private static func bound(_ text: String, _ fail: (String) -> VersionConstraintError) throws(VersionConstraintError) -> (SemanticVersion, Int) {
        var core = text
        if core.hasPrefix("v") || core.hasPrefix("V") { core.removeFirst() }
        var suffix = ""
        if let index = core.firstIndex(where: { $0 == "-" || $0 == "+" }) { suffix = String(core[index...]); core = String(core[..<index]) }
        var parts = core.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        if let wildcard = parts.firstIndex(where: { ["x", "X", "*"].contains($0) }) { parts = Array(parts[..<wildcard]) }
        guard !parts.isEmpty, parts.count <= 3, let version = SemanticVersion(parts.joined(separator: ".") + suffix) else {
            throw fail("\"\(text)\" is not a version")
        }
        return (version, parts.count)
    }
}

/// A constraint Helm would not understand, and why.
public struct VersionConstraintError: Error, Sendable, CustomStringConvertible {
    public let input: String
    public let reason: String
    public var description: String { "invalid version constraint \"\(input)\": \(reason)" }
}
