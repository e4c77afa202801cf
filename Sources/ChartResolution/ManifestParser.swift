import ChartFormat
import Foundation
import OCI
import Rendering
import Yams

/// Reads a bundle manifest with Yams, keeping line marks so every error names file, line and column.
public enum ManifestParser {
    static let topFields = ["apiVersion", "kind", "metadata", "platforms", "components", "files", "tools", "siteValues"]
    static let siteValueFields = ["description", "type", "required", "default", "secret", "values", "pattern", "message"]
    static let componentFields = ["name", "namespace", "releaseName", "optional", "installed", "reason", "chart", "values", "images"]
    static let chartFields = ["repository", "name", "version", "oci", "path"]

    public static func load(_ file: String) throws -> BundleManifest {
        guard FileManager.default.fileExists(atPath: file) else {
            throw ManifestError(file: file, line: 0, column: 0, message: "the manifest does not exist", hint: "check the path")
        }
        let data: Data
        do { data = try BoundedYAML.readFile(file, limits: .manifest) } catch let refusal as BoundedYAML.Refusal {
            throw ManifestError(file: file, line: 0, column: 0, message: "not read: \(refusal)", hint: nil)
        } catch {
            throw ManifestReadError(file: file, reason: error.localizedDescription)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ManifestError(file: file, line: 0, column: 0, message: "the manifest is not UTF-8 text", hint: nil)
        }
        return try parse(text, file: file)
    }

    public static func parse(_ text: String, file: String) throws -> BundleManifest {
        let root: Node?
        do { root = try BoundedYAML.compose(text, limits: .manifest) } catch {
            if case .invalid(let reason, let line) = error {
                throw ManifestError(file: file, line: line ?? 0, column: 0, message: "not valid YAML: \(reason)", hint: nil)
            }
            throw ManifestError(file: file, line: 0, column: 0, message: "not read: \(error)", hint: nil)
        }
        var reader = NodeReader(file: file)
        guard let root else { throw reader.error(nil, "the manifest is empty", hint: "start with apiVersion: airgap.astrago.io/v1") }
        let top = try reader.mapping(root, "the manifest", allowed: topFields)
        let apiVersion = try reader.string(top, "apiVersion", in: "the manifest")
        guard apiVersion == "airgap.astrago.io/v1" else {
            throw reader.error(top["apiVersion"], "unsupported apiVersion \"\(apiVersion)\"", hint: "use apiVersion: airgap.astrago.io/v1")
        }
        let kind = try reader.string(top, "kind", in: "the manifest")
        guard kind == "Bundle" else { throw reader.error(top["kind"], "unsupported kind \"\(kind)\"", hint: "use kind: Bundle") }
        let metadata = try reader.mapping(try reader.required(top, "metadata", in: "the manifest"), "metadata", allowed: ["name", "version"])
        let name = try reader.string(metadata, "name", in: "metadata")
        let version = try reader.string(metadata, "version", in: "metadata")

        var platforms: [Platform] = []
        if let list = top["platforms"] {
            for item in try reader.sequence(list, "platforms") {
                let text = try reader.scalar(item, "a platform")
                do { platforms.append(try Platform(parsing: text)) } catch { throw reader.error(item, error.description, hint: nil) }
            }
        }
        let folder = (file as NSString).deletingLastPathComponent, base = folder.isEmpty ? "." : folder
        var components: [BundleManifest.Component] = []
        for item in try reader.sequence(try reader.required(top, "components", in: "the manifest"), "components") {
            let component = try parseComponent(item, reader: &reader, base: base)
            if let first = components.first(where: { $0.name == component.name }) {
                throw reader.error(
                    item, "component \"\(component.name)\" is declared twice (first on line \(first.line))", hint: "give each component a unique name"
                )
            }
            components.append(component)
        }
        if !components.contains(where: \.installed) {
            throw reader.error(top["components"], "there are no components", hint: "list at least one component")
        }
        var manifest = BundleManifest(
            file: file, name: name, version: version, platforms: platforms.isEmpty ? [.linuxAMD64] : platforms,
            components: components.filter(\.installed))
        manifest.switchedOff = components.filter { !$0.installed }
        manifest.files = try parseFiles(top, reader: &reader, base: base)
        manifest.siteValues = try top["siteValues"].map { try parseSiteValues($0, reader: &reader) } ?? []
        try checkTemplates(manifest)
        return manifest
    }

    /// Every `{{ … }}` of every values file must be a supported form naming a declared site value.
    private static func checkTemplates(_ manifest: BundleManifest) throws {
        let declared = Set(manifest.siteValues.map(\.name))
        for component in manifest.components {
            for file in component.values {
                let data: Data
                do { data = try BoundedYAML.readFile(file, limits: .chartValues) } catch let refusal as BoundedYAML.Refusal {
                    throw ManifestError(file: file, line: 0, column: 0, message: "not read: \(refusal)", hint: nil)
                } catch { throw ManifestReadError(file: file, reason: "cannot read it") }
                let text = String(decoding: data, as: UTF8.self)
                let expressions: [ValuesTemplate.Expression]
                do { expressions = try ValuesTemplate.expressions(in: text, file: file) } catch let error as ValuesTemplateError {
                    throw ManifestError(file: file, line: error.line, column: 0, message: error.message, hint: nil)
                }
                for expression in expressions where !declared.contains(expression.name) {
                    throw ManifestError(
                        file: file, line: expression.line, column: expression.column,
                        message: "\(expression.name) is not a declared site value (component \"\(component.name)\")",
                        hint: "declare it under siteValues: in \(manifest.file)")
                }
            }
        }
    }

    /// `siteValues: {nfs.server: {description, type, required, default, secret}}`, in file order.
    private static func parseSiteValues(_ node: Node, reader: inout NodeReader) throws -> [SiteValueDeclaration] {
        guard let mapping = node.mapping else { throw reader.error(node, "siteValues must be a mapping of dotted names", hint: nil) }
        var declared: [SiteValueDeclaration] = []
        for (key, value) in mapping {
            let name = try reader.scalar(key, "a site value name")
            guard SiteValueDeclaration.isValidName(name) else {
                throw reader.error(key, "site value name \"\(name)\" is not a dotted path", hint: "e.g. nfs.server or keycloak.adminPassword")
            }
            if let clash = declared.first(where: { $0.name == name || $0.name.hasPrefix(name + ".") || name.hasPrefix($0.name + ".") }) {
                throw reader.error(
                    key, clash.name == name ? "site value \"\(name)\" is declared twice" : "site value \"\(name)\" overlaps \"\(clash.name)\"",
                    hint: clash.name == name ? nil : "a site value is a leaf: one cannot hold the other")
            }
            let what = "site value \"\(name)\""
            let map = try reader.mapping(value, what, allowed: siteValueFields)
            let description = try reader.string(map, "description", in: what)
            var type = SiteValueDeclaration.ValueType.string
            if let node = map["type"] {
                let text = try reader.scalar(node, "type")
                guard let parsed = SiteValueDeclaration.ValueType(rawValue: text) else {
                    let known = SiteValueDeclaration.ValueType.allCases.map(\.rawValue).joined(separator: ", ")
                    throw reader.error(node, "type \"\(text)\" of \(what) is not one of \(known)", hint: nil)
                }
                type = parsed
            }
            let required = try reader.flag(map, "required", of: what), secret = try reader.flag(map, "secret", of: what)
            var declaration = SiteValueDeclaration(
                name: name, description: description, type: type, required: false, defaultValue: nil, secret: secret)
            try readConstraints(map, into: &declaration, what: what, reader: &reader)
            if let node = map["default"] {
                let text = try reader.scalar(node, "default")
                if let problem = declaration.problem(with: text) {
                    throw reader.error(node, "the default of \(what) is not \(problem)", hint: nil)
                }
                if required {
                    throw reader.error(node, "\(what) is required and has a default", hint: "drop one: a value with a default is optional")
                }
                if secret { throw reader.error(node, "\(what) is secret and has a default", hint: "a secret must come from each site") }
                declaration.defaultValue = text
            }
            declaration.required = required
            declared.append(declaration)
        }
        return declared
    }

    /// `values:` (enum only), `pattern:` and `message:` (string only).
    private static func readConstraints(
        _ map: [String: Node], into declaration: inout SiteValueDeclaration, what: String, reader: inout NodeReader
    ) throws {
        if let node = map["values"] {
            guard declaration.type == .enumeration else { throw reader.error(node, "values of \(what) are for type enum only", hint: nil) }
            guard let list = node.sequence, !list.isEmpty else {
                throw reader.error(node, "values of \(what) must be a list of the values allowed", hint: "values: [small, large]")
            }
            declaration.values = try list.map { try reader.scalar($0, "an allowed value") }
        } else if declaration.type == .enumeration {
            throw reader.error(map["type"], "\(what) is an enum without values", hint: "values: [small, large]")
        }
        if let node = map["pattern"] {
            guard declaration.type == .string else { throw reader.error(node, "pattern of \(what) is for type string only", hint: nil) }
            let pattern = try reader.scalar(node, "pattern")
            guard SiteValueSyntax.isValidPattern(pattern) else {
                throw reader.error(node, "pattern of \(what) is not a regular expression", hint: nil)
            }
            declaration.pattern = pattern
        }
        if let node = map["message"] {
            guard declaration.pattern != nil else { throw reader.error(node, "message of \(what) goes with a pattern", hint: nil) }
            declaration.message = try reader.scalar(node, "message")
        }
    }

    /// `files: [{name, source, sha256}]` and `tools: [{name, platform, source, sha256}]`.
    private static func parseFiles(_ top: [String: Node], reader: inout NodeReader, base: String) throws -> [BundleManifest.BundledFile] {
        var files: [BundleManifest.BundledFile] = []
        for (field, isTool) in [("files", false), ("tools", true)] {
            guard let list = top[field] else { continue }
            for item in try reader.sequence(list, field) {
                let what = isTool ? "a tool" : "a file"
                let map = try reader.mapping(item, what, allowed: isTool ? ["name", "platform", "source", "sha256"] : ["name", "source", "sha256"])
                let name = try reader.string(map, "name", in: what)
                let sourceText = try reader.string(map, "source", in: what)
                let sha256 = try map["sha256"].map { node in
                    let text = try reader.scalar(node, "a SHA-256").lowercased()
                    guard text.count == 64, text.allSatisfy(\.isHexDigit) else {
                        throw reader.error(node, "sha256 must be 64 hex digits", hint: "sha256sum FILE prints it")
                    }
                    return text
                }
                let source: BundleManifest.BundledFile.Source
                if sourceText.hasPrefix("https://") || sourceText.hasPrefix("http://") {
                    guard sha256 != nil else {
                        throw reader.error(
                            item, "\(what) downloaded from \(sourceText) needs its sha256", hint: "add sha256: the file's SHA-256 (sha256sum FILE)")
                    }
                    source = .url(sourceText)
                } else {
                    let absolute = sourceText.hasPrefix("/") ? sourceText : base + "/" + sourceText
                    guard FileManager.default.fileExists(atPath: absolute) else {
                        throw reader.error(
                            map["source"], "\(sourceText) does not exist (looked at \(absolute))",
                            hint: "local sources are relative to the manifest file")
                    }
                    source = .local(absolute)
                }
                var platform: Platform?
                if isTool {
                    let text = try reader.string(map, "platform", in: what)
                    do { platform = try Platform(parsing: text) } catch { throw reader.error(map["platform"], error.description, hint: nil) }
                }
                let path = isTool ? "tools/\(platform!.os)-\(platform!.architecture)\(platform!.variant.map { "-" + $0 } ?? "")/\(name)" : name
                let components = path.split(separator: "/", omittingEmptySubsequences: false)
                guard !path.hasPrefix("/"), !components.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }) else {
                    throw reader.error(map["name"], "\(what) name \"\(name)\" must be a relative path without '.' or '..'", hint: nil)
                }
                if let other = files.first(where: { $0.name == path }) {
                    throw reader.error(item, "files/\(path) is listed twice (first on line \(other.line))", hint: nil)
                }
                files.append(.init(name: path, source: source, sha256: sha256, platform: platform, line: (item.mark?.line ?? 0)))
            }
        }
        return files
    }

    private static func parseComponent(_ node: Node, reader: inout NodeReader, base: String) throws -> BundleManifest.Component {
        let map = try reader.mapping(node, "a component", allowed: componentFields)
        let name = try reader.string(map, "name", in: "a component")
        let context = "component \"\(name)\""
        let label = #"[a-z0-9]([-a-z0-9]*[a-z0-9])?"#
        guard name.range(of: "^\(label)$", options: .regularExpression) != nil, name.utf8.count <= 63 else {
            throw reader.error(
                map["name"], "the component name \"\(name)\" is not a valid release name", hint: "lowercase letters, digits and '-', at most 63")
        }
        // The rules pack and verify apply (BundleNamePolicy), here with the manifest's line.
        let namespace = try reader.string(map, "namespace", in: context)
        guard namespace.range(of: "^\(label)$", options: .regularExpression) != nil, namespace.utf8.count <= 63 else {
            throw reader.error(
                map["namespace"], "\(context): the namespace \"\(namespace)\" is not a DNS-1123 label",
                hint: "lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63")
        }
        let releaseName = try map["releaseName"].map { try reader.scalar($0, "releaseName") } ?? name
        guard releaseName.range(of: "^\(label)(\\.\(label))*$", options: .regularExpression) != nil, releaseName.utf8.count <= 53 else {
            throw reader.error(
                map["releaseName"], "\(context): the release name \"\(releaseName)\" is not one Helm accepts",
                hint: "lowercase letters, digits, '-' and '.', at most 53")
        }
        let optional = try reader.flag(map, "optional")
        let chart = try parseChart(try reader.required(map, "chart", in: context), reader: &reader, base: base, context: context)
        let installed = try reader.flag(map, "installed", absent: true)
        let reason = try map["reason"].map { try reader.scalar($0, "reason") }
        if !installed, reason == nil {
            throw reader.error(map["installed"], "\(context) is switched off (installed: false) without a reason", hint: "add reason: why it is off")
        }
        let values = try (map["values"].map { try reader.sequence($0, "values") } ?? []).map { item in
            let path = try reader.scalar(item, "a values file")
            let absolute = path.hasPrefix("/") ? path : base + "/" + path
            guard FileManager.default.fileExists(atPath: absolute) else {
                throw reader.error(
                    item, "the values file \(path) does not exist (looked at \(absolute))", hint: "values paths are relative to the manifest file")
            }
            return absolute
        }
        var extra: [ImageReference] = [], exclude: [String] = []
        if let images = map["images"] {
            let rules = try reader.mapping(images, "images", allowed: ["extra", "exclude"])
            for item in try rules["extra"].map({ try reader.sequence($0, "images.extra") }) ?? [] {
                let text = try reader.scalar(item, "an image reference")
                do { extra.append(try ImageReference(parsing: text)) } catch { throw reader.error(item, error.description, hint: nil) }
            }
            for item in try rules["exclude"].map({ try reader.sequence($0, "images.exclude") }) ?? [] {
                let text = try reader.scalar(item, "an image reference")
                do { exclude.append(try ImageReference(parsing: text).description) } catch { throw reader.error(item, error.description, hint: nil) }
            }
        }
        var component = BundleManifest.Component(
            name: name, namespace: namespace, releaseName: releaseName, optional: optional, chart: chart,
            values: values, extraImages: extra, excludedImages: exclude, line: (node.mark?.line ?? 0))
        component.installed = installed
        component.reason = reason
        return component
    }

    private static func parseChart(_ node: Node, reader: inout NodeReader, base: String, context: String) throws -> BundleManifest.ChartSource {
        let map = try reader.mapping(node, "chart", allowed: chartFields)
        let given = ["repository", "oci", "path"].filter { map[$0] != nil }
        guard given.count == 1 else {
            throw reader.error(
                node,
                "the chart of \(context) must have exactly one of repository (with name), oci, or path; it has \(given.isEmpty ? "none" : given.joined(separator: " and "))",
                hint: "e.g. chart: {repository: https://charts.example/, name: mychart, version: 1.2.3}")
        }
        func constraint() throws -> VersionConstraint {
            let text = try reader.string(map, "version", in: "the chart of \(context)")
            do { return try VersionConstraint(parsing: text) } catch {
                throw reader.error(map["version"], error.description, hint: "e.g. 1.2.3, ^1.2, ~1.2.3 or >=1.0 <2.0")
            }
        }
        switch given[0] {
        case "repository":
            let url = try reader.string(map, "repository", in: "the chart of \(context)")
            guard url.hasPrefix("https://") || url.hasPrefix("http://") else {
                throw reader.error(
                    map["repository"], "the chart repository must be an http(s) URL",
                    hint: url.hasPrefix("oci://") ? "use chart: {oci: \(url)/NAME, version: …}" : nil)
            }
            return .repository(url: url, name: try reader.string(map, "name", in: "the chart of \(context)"), version: try constraint())
        case "oci":
            let reference = try reader.string(map, "oci", in: "the chart of \(context)")
            guard reference.hasPrefix("oci://") else { throw reader.error(map["oci"], "an OCI chart reference starts with oci://", hint: nil) }
            if map["name"] != nil { throw reader.error(map["name"], "name is not used with oci (the name is the last path part)", hint: nil) }
            return .oci(reference: reference, version: try constraint())
        default:
            let path = try reader.string(map, "path", in: "the chart of \(context)")
            let absolute = path.hasPrefix("/") ? path : base + "/" + path
            guard FileManager.default.fileExists(atPath: absolute + "/Chart.yaml") else {
                throw reader.error(
                    map["path"], "no chart at \(path) (no Chart.yaml in \(absolute))", hint: "chart paths are relative to the manifest file")
            }
            for field in ["name", "version"] where map[field] != nil {
                throw reader.error(map[field], "\(field) is not used with path (the chart's Chart.yaml says it)", hint: nil)
            }
            return .path(absolute)
        }
    }
}

/// Typed access to Yams nodes with errors that carry the node's line and column.
struct NodeReader {
    let file: String

    func error(_ node: Node?, _ message: String, hint: String?) -> ManifestError {
        let mark = node?.mark
        return ManifestError(file: file, line: mark?.line ?? 0, column: mark?.column ?? 0, message: message, hint: hint)
    }

    func mapping(_ node: Node, _ what: String, allowed: [String]) throws -> [String: Node] {
        guard let mapping = node.mapping else { throw error(node, "\(what) must be a mapping", hint: nil) }
        var result: [String: Node] = [:]
        for (key, value) in mapping {
            let name = key.string ?? ""
            guard allowed.contains(name) else {
                let guess = allowed.min { distance($0, name) < distance($1, name) }
                let hint =
                    guess.flatMap { distance($0, name) <= 3 ? "did you mean \"\($0)\"?" : nil }
                    ?? "allowed fields: \(allowed.joined(separator: ", "))"
                throw error(key, "unknown field \"\(name)\" in \(what)", hint: hint)
            }
            if result[name] != nil { throw error(key, "field \"\(name)\" appears twice in \(what)", hint: nil) }
            result[name] = value
        }
        return result
    }

    func sequence(_ node: Node, _ what: String) throws -> [Node] {
        guard let sequence = node.sequence else { throw error(node, "\(what) must be a list", hint: "write it as [a, b] or one \"- item\" per line") }
        return Array(sequence)
    }

    func scalar(_ node: Node, _ what: String) throws -> String {
        guard let scalar = node.scalar else { throw error(node, "\(what) must be a single value", hint: nil) }
        return scalar.string
    }

    func required(_ map: [String: Node], _ key: String, in what: String) throws -> Node {
        guard let node = map[key] else {
            let anchor = map.values.compactMap(\.mark).min { ($0.line, $0.column) < ($1.line, $1.column) }
            throw ManifestError(file: file, line: anchor?.line ?? 0, column: anchor?.column ?? 0, message: "\(what) is missing \"\(key)\"", hint: nil)
        }
        return node
    }

    /// `key`'s true or false (`absent` when it is not given).
    func flag(_ map: [String: Node], _ key: String, of what: String? = nil, absent: Bool = false) throws -> Bool {
        guard let node = map[key] else { return absent }
        guard let flag = node.bool else { throw error(node, key + (what.map { " of \($0)" } ?? "") + " must be true or false", hint: nil) }
        return flag
    }

    func string(_ map: [String: Node], _ key: String, in what: String) throws -> String {
        let value = try scalar(try required(map, key, in: what), key)
        guard !value.isEmpty else { throw error(map[key], "\(key) in \(what) is empty", hint: nil) }
        return value
    }

    private func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a.lowercased()), b = Array(b.lowercased())
        var previous = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var current = [i] + [Int](repeating: 0, count: b.count)
            for j in 1...max(b.count, 1) where !b.isEmpty {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return a.isEmpty ? b.count : previous[b.count]
    }
}
