import Foundation

/// The rules for names a signed `bundle.json` hands to Kubernetes, Helm, command lines and
/// paths. A trusted key can still sign a mistake (or a vendor's build machine can be made to),
/// so `pack` refuses to write such a bundle and `verify` (and every site command) refuses to use
/// one: a component called `-rf` or a chart at `../../etc/x` never reaches a command line or a path.
public enum BundleNamePolicy {
    /// Kubernetes' DNS-1123 label (namespaces, component names): at most 63 characters, lowercase
    /// letters, digits and `-`, starting and ending with a letter or digit.
    public static func labelProblem(_ name: String) -> String? {
        if name.isEmpty { return "is empty" }
        if name.utf8.count > 63 { return "is \(name.utf8.count) characters long, more than 63 (Kubernetes' DNS-1123 label)" }
        return matches(name, label) ? nil : "is not a DNS-1123 label (lowercase letters, digits and '-', starting and ending with a letter or digit)"
    }

    /// Kubernetes' DNS-1123 subdomain (the bundle's name): dot-separated labels, at most 253 characters.
    public static func subdomainProblem(_ name: String) -> String? {
        if name.isEmpty { return "is empty" }
        if name.utf8.count > 253 { return "is \(name.utf8.count) characters long, more than 253 (Kubernetes' DNS-1123 subdomain)" }
        return matches(name, "\(label)(\\.\(label))*")
            ? nil : "is not a DNS-1123 subdomain (lowercase letters, digits, '-' and '.', starting and ending with a letter or digit)"
    }

    /// Helm's release name rule: a DNS-1123 subdomain of at most 53 characters.
    public static func releaseProblem(_ name: String) -> String? {
        if name.utf8.count > 53 { return "is \(name.utf8.count) characters long, more than Helm's 53 for a release name" }
        return subdomainProblem(name)
    }

    /// A version (part of the state directory's name): letters, digits, `.`, `_`, `+` and `-`,
    /// starting with a letter or digit, no `..`, at most 128 characters.
    public static func versionProblem(_ version: String) -> String? {
        if version.utf8.count > 128 { return "is \(version.utf8.count) characters long, more than 128" }
        guard matches(version, "[0-9A-Za-z][0-9A-Za-z._+-]*"), !version.contains("..") else {
            return "is not a version (letters, digits, '.', '_', '+' and '-', starting with a letter or digit, no '..')"
        }
        return nil
    }

    private static let label = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"

    private static func matches(_ text: String, _ pattern: String) -> Bool {
        text.range(of: "^(\(pattern))$", options: .regularExpression) != nil
    }
}

extension BundleIndex {
    /// The first name in this index that must not reach Kubernetes, Helm, a command line or a
    /// path, or nil: the bundle's name and version, every component's name, namespace and release
    /// name (`BundleNamePolicy`), and every chart, values and file path (relative, no `..`, no
    /// leading `-`, as `EntryNamePolicy` has it). The message names the field and the name.
    public func namesProblem() -> String? {
        if let problem = BundleNamePolicy.subdomainProblem(name) { return "has a bundle name \"\(name)\" that \(problem)" }
        if let problem = BundleNamePolicy.versionProblem(version) { return "has a version \"\(version)\" that \(problem)" }
        if let base, let problem = BundleNamePolicy.subdomainProblem(base.name) ?? BundleNamePolicy.versionProblem(base.version) {
            return "names a base bundle \"\(base.name)-\(base.version)\" whose name or version \(problem)"
        }
        for component in components {
            if let problem = BundleNamePolicy.labelProblem(component.name) { return "has a component \"\(component.name)\" whose name \(problem)" }
            if let namespace = component.namespace, let problem = BundleNamePolicy.labelProblem(namespace) {
                return "gives component \"\(component.name)\" the namespace \"\(namespace)\", which \(problem)"
            }
            if let release = component.releaseName, let problem = BundleNamePolicy.releaseProblem(release) {
                return "gives component \"\(component.name)\" the release name \"\(release)\", which \(problem)"
            }
            for path in [component.chart].compactMap({ $0 }) + (component.values ?? []) {
                if let problem = EntryNamePolicy.problem(with: path) {
                    return "gives component \"\(component.name)\" the path \"\(path)\", which \(problem)"
                }
            }
            for image in component.excludedImages ?? [] where image.hasPrefix("-") {
                return "gives component \"\(component.name)\" an excluded image \"\(image)\" that starts with '-'"
            }
        }
        for path in charts.map(\.path) + files.map(\.path) {
            if let problem = EntryNamePolicy.problem(with: path) { return "lists the path \"\(path)\", which \(problem)" }
        }
        return nil
    }
}
