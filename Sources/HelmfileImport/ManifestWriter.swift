import Foundation

/// Writes the imported releases as a bundle manifest (docs/manifest.md) and its values files,
/// all as text: the manifest at `output`, values files under `STEM.values/COMPONENT/` beside it.
struct ManifestWriter {
    let output: String
    let helmfile: String
    let environment: String
    let name: String
    let version: String

    /// The folder (beside the manifest, relative to it) that holds the imported values files.
    var valuesFolder: String { ((output as NSString).lastPathComponent as NSString).deletingPathExtension + ".values" }
    var outputDirectory: String {
        let directory = (output as NSString).deletingLastPathComponent
        return directory.isEmpty ? "." : directory
    }

    /// The manifest's text, and every values file by path relative to the manifest's folder.
    func texts(_ releases: [ImportedRelease], siteValues: [SiteValueSetting]) -> (manifest: String, values: [String: String]) {
        var lines = [
            "# Imported from a helmfile by `airgap-bundle import-helmfile`; re-run it after the helmfile changes",
            "# (with --check in CI to see whether this file is out of date). Edits here are overwritten.",
            "#   helmfile: \(relative(helmfile)), environment: \(environment)",
            "apiVersion: airgap.astrago.io/v1",
            "kind: Bundle",
            "metadata:",
            "  name: \(YAMLWriter.scalar(name))",
            "  version: \(YAMLWriter.scalar(version))",
        ]
        if !siteValues.isEmpty {
            lines.append("siteValues:")
            for setting in siteValues {
                lines.append("  \(setting.name):")
                lines.append("    description: \(YAMLWriter.scalar(setting.description))")
                lines.append("    type: \(setting.type)")
                if let value = setting.defaultValue {
                    lines.append("    default: \(YAMLWriter.scalar(value))")
                } else {
                    lines.append("    required: true")
                }
                if setting.secret { lines.append("    secret: true") }
            }
        }
        lines.append("components:")
        var values: [String: String] = [:]
        for release in releases {
            var notes = ["from \(relative(release.helmfile))"]
            if !release.labels.isEmpty { notes.append("labels " + release.labels.map { "\($0.key)=\($0.value)" }.joined(separator: ",")) }
            if !release.helmSettings.isEmpty { notes.append("helm " + release.helmSettings.map { "\($0.key)=\($0.value)" }.joined(separator: ",")) }
            lines.append("  # " + notes.joined(separator: "; "))
            lines.append("  - name: \(release.name)")
            lines.append("    namespace: \(YAMLWriter.scalar(release.namespace))")
            lines.append("    releaseName: \(release.name)")
            if release.optional { lines.append("    optional: true") }
            if let reason = release.offReason {
                lines.append("    installed: false")
                lines.append("    reason: \(YAMLWriter.scalar(reason))")
            }
            lines.append("    chart:")
            func version(_ given: String?) -> String {
                "      version: \(YAMLWriter.scalar(given ?? ">=0.0.0"))" + (given == nil ? "  # none in the helmfile: the newest" : "")
            }
            switch release.chart {
            case .local(let path): lines.append("      path: \(YAMLWriter.scalar(relative(path)))")
            case .repository(let url, let name, let given):
                lines += ["      repository: \(YAMLWriter.scalar(url))", "      name: \(YAMLWriter.scalar(name))", version(given)]
            case .oci(let reference, let given): lines += ["      oci: \(YAMLWriter.scalar(reference))", version(given)]
            }
            if !release.values.isEmpty {
                lines.append("    values:")
                for file in release.values {
                    let path = "\(valuesFolder)/\(release.name)/\(file.name)"
                    values[path] = file.text
                    lines.append("      - \(YAMLWriter.scalar(path))")
                }
            }
        }
        return (lines.joined(separator: "\n") + "\n", values)
    }

    /// `path` relative to the manifest's folder (both made absolute first).
    func relative(_ path: String) -> String {
        let from = Self.absolute(outputDirectory).split(separator: "/")
        let to = Self.absolute(path).split(separator: "/")
        var shared = 0
        while shared < min(from.count, to.count), from[shared] == to[shared] { shared += 1 }
        let parts = Array(repeating: "..", count: from.count - shared) + to[shared...].map(String.init)
        return parts.isEmpty ? "." : parts.joined(separator: "/")
    }

    static func absolute(_ path: String) -> String {
        let joined = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        return (joined as NSString).standardizingPath
    }
}

/// A site value the import declares (`--site-value`).
struct SiteValueSetting {
    var name: String
    var description: String
    var type: String
    var defaultValue: String?
    var secret: Bool
}
