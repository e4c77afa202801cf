import Foundation
import OCI
import Rendering
import System

/// `airgap-bundle import-helmfile`: reads a helmfile for one environment and writes a manifest
/// (and its values files) that `images`, `lock` and `build` take as they are.
public struct HelmfileImporter: Sendable {
    /// What to import and where to write it.
    public struct Request: Sendable {
        public var helmfile: String
        public var environment: String
        public var output: String
        /// Dotted names of environment values that become site values.
        public var siteValues: [String]
        /// Site values that are secrets (besides names that say so: password, secret, token, …).
        public var secretValues: [String]
        public var name: String?
        public var version: String?

        public init(
            helmfile: String, environment: String, output: String, siteValues: [String] = [], secretValues: [String] = [], name: String? = nil,
            version: String? = nil
        ) {
            self.helmfile = helmfile
            self.environment = environment
            self.output = output
            self.siteValues = siteValues
            self.secretValues = secretValues
            self.name = name
            self.version = version
        }
    }

    /// The import's result: the texts to write and what they change.
    public struct Result: Sendable {
        public var manifest: String
        /// Values files by path relative to the manifest's folder.
        public var values: [String: String]
        public var changes: ManifestChanges
        /// The components in install order (`name namespace`), for the summary.
        public var components: [(name: String, namespace: String, installed: Bool)]
        let valuesFolder: String
    }

    public let request: Request

    public init(_ request: Request) { self.request = request }

    /// Reads the helmfile and compares the manifest it gives with the one at `output`.
    public func run() throws -> Result {
        for name in request.siteValues + request.secretValues where !name.isEmpty {
            guard SiteValueDeclaration.isValidName(name) else {
                throw HelmfileImportError(file: request.helmfile, line: 0, "site value \"\(name)\" is not a dotted name (e.g. nfs.server)")
            }
        }
        let names = Set(request.siteValues + request.secretValues)
        var loader = HelmfileLoader(environment: request.environment, siteValues: names)
        let releases = try loader.releases(of: request.helmfile, passed: nil)
        var seen: [String: String] = [:]
        for release in releases {
            if let other = seen[release.name] {
                throw HelmfileImportError(
                    file: release.helmfile, line: 0, "release \(release.name) is declared again (also in \(other)); component names must be unique")
            }
            guard release.name.range(of: #"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"#, options: .regularExpression) != nil else {
                throw HelmfileImportError(file: release.helmfile, line: 0, "release name \(release.name) is not a valid component name (a-z, 0-9, -)")
            }
            seen[release.name] = release.helmfile
        }
        guard releases.contains(where: { $0.offReason == nil }) else {
            throw HelmfileImportError(file: request.helmfile, line: 0, "environment \(request.environment) installs no release")
        }
        let settings = names.sorted().map { name in
            let secret = request.secretValues.contains(name) || Self.looksSecret(name)
            let value = loader.siteValueDefaults[name] ?? .null
            var type = "string"
            if case .bool = value { type = "bool" }
            if case .number(let text) = value, Int(text) != nil { type = "int" }
            let defaultValue: String? = secret || value == .null ? nil : value.printed
            return SiteValueSetting(
                name: name, description: "\(name) (from helmfile environment \(request.environment))", type: type, defaultValue: defaultValue,
                secret: secret)
        }
        let previous = Self.existing(request.output)
        let writer = ManifestWriter(
            output: request.output, helmfile: request.helmfile, environment: request.environment,
            name: request.name ?? previous?.name ?? Self.defaultName(request.helmfile), version: request.version ?? previous?.version ?? "0.1.0")
        let texts = writer.texts(releases, siteValues: settings)
        let old = previous.map { previous in
            (manifest: previous.text, values: Self.valuesOnDisk(under: writer.outputDirectory, folder: writer.valuesFolder))
        }
        return Result(
            manifest: texts.manifest, values: texts.values, changes: ManifestChanges.compare(old: old, new: texts, file: request.output),
            components: releases.map { ($0.name, $0.namespace, $0.offReason == nil) }, valuesFolder: writer.valuesFolder)
    }

    /// Writes the result: values files first, stale ones removed, the manifest last — each atomically.
    public func write(_ result: Result) throws {
        let directory = ManifestWriter(output: request.output, helmfile: "", environment: "", name: "", version: "").outputDirectory
        let stale = Set(Self.valuesOnDisk(under: directory, folder: result.valuesFolder).keys).subtracting(result.values.keys)
        do {
            for (path, text) in result.values.sorted(by: { $0.key < $1.key }) {
                let absolute = directory + "/" + path
                try FileManager.default.createDirectory(
                    atPath: (absolute as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try PosixFile.writeAtomically(Array(text.utf8), to: absolute)
            }
            for path in stale { try FileManager.default.removeItem(atPath: directory + "/" + path) }
            try PosixFile.writeAtomically(Array(result.manifest.utf8), to: request.output)
        } catch {
            throw HelmfileImportError(file: request.output, line: 0, "cannot write: \(error)")
        }
    }

    static func looksSecret(_ name: String) -> Bool {
        let last = (name.split(separator: ".").last ?? "").lowercased()
        return ["password", "secret", "token", "credential", "privatekey", "apikey"].contains { last.contains($0) }
    }

    private static func defaultName(_ helmfile: String) -> String {
        let folder = ((ManifestWriter.absolute(helmfile) as NSString).deletingLastPathComponent as NSString).lastPathComponent.lowercased()
        let cleaned = String(folder.map { $0.isLetter || $0.isNumber ? $0 : "-" })
        return cleaned.isEmpty ? "platform" : cleaned
    }

    /// The manifest at `path` now: its text, name and version (nil when there is none).
    private static func existing(_ path: String) -> (text: String, name: String?, version: String?)? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let text = String(decoding: data, as: UTF8.self)
        let top = try? YAMLValues(file: path).read(text)
        return (text, top?["metadata"]?["name"]?.printed, top?["metadata"]?["version"]?.printed)
    }

    /// Every file under `directory/folder`, by path relative to `directory`.
    private static func valuesOnDisk(under directory: String, folder: String) -> [String: String] {
        var found: [String: String] = [:]
        let root = directory + "/" + folder
        guard let enumerator = FileManager.default.enumerator(atPath: root) else { return [:] }
        while let relative = enumerator.nextObject() as? String {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: root + "/" + relative, isDirectory: &isDirectory), !isDirectory.boolValue,
                let data = FileManager.default.contents(atPath: root + "/" + relative)
            else { continue }
            found[folder + "/" + relative] = String(decoding: data, as: UTF8.self)
        }
        return found
    }
}
