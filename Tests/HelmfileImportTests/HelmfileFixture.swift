import Foundation
import TestSupport

/// Helmfiles of our own written into a scratch folder, with local charts, for the import tests.
struct HelmfileFixture {
    let root: String

    init(_ label: String) throws { root = try TestPaths.scratch(label) }

    /// Writes `text` at `path` (relative to the fixture), making folders.
    func write(_ path: String, _ text: String) throws {
        let full = root + "/" + path
        try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: full, atomically: true, encoding: .utf8)
    }

    /// A chart at `path` whose Deployment runs `{{ .Values.image }}` (and shows `.Values.config` in a ConfigMap).
    func chart(_ path: String, name: String) throws {
        try write(path + "/Chart.yaml", "apiVersion: v2\nname: \(name)\nversion: 1.0.0\n")
        try write(path + "/values.yaml", "image: busybox:1.36\nconfig: {}\n")
        try write(
            path + "/templates/deployment.yaml",
            """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: {{ .Release.Name }}}
            spec:
              selector: {matchLabels: {app: x}}
              template:
                metadata: {labels: {app: x}}
                spec:
                  containers:
                    - name: main
                      image: {{ .Values.image | quote }}
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: {{ .Release.Name }}-config}
            data:
              config: {{ toJson .Values.config | quote }}
            """)
    }

    /// Runs `airgap-bundle ARGUMENTS` in the fixture's folder with the helm stand-in on PATH.
    func airgapBundle(_ arguments: [String]) throws -> Shell.Result {
        let helm = TestPaths.repository + "/Tests/Servers/helm-standin"
        return try Shell.run(
            [try TestPaths.binary("airgap-bundle")] + arguments,
            environment: ["PATH": helm + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "")], directory: root)
    }

    func read(_ path: String) throws -> String { try String(contentsOfFile: root + "/" + path, encoding: .utf8) }
}
