import Foundation

/// Helm 4's form of our post-renderer: a `postrenderer/v1` plugin with the subprocess runtime,
/// in a plugins directory of the state directory (`deploy/helm-plugins/airgap-post-render/`).
/// Helm finds it through `HELM_PLUGINS`, set for the helm process only, so the admin's own
/// plugins and Helm settings are left alone. Its command is `airgap-install`; Helm
/// appends the `--post-renderer-args` of each step, the same arguments Helm 3's executable form
/// gets (`post-render` first).
public enum PostRenderPlugin {
    public static let name = "airgap-post-render"

    /// The directory `HELM_PLUGINS` names.
    public static func pluginsDirectory(stateDirectory: String) -> String { stateDirectory + "/deploy/helm-plugins" }

    /// `plugin.yaml` (apiVersion v1) running `executable`; `post-render` and the rest come from
    /// `--post-renderer-args`, exactly as for Helm 3.
    public static func manifest(executable: String) -> String {
        """
        # Written by airgap-install deploy: Helm 4 runs it as --post-renderer \(name).
        apiVersion: v1
        type: postrenderer/v1
        name: \(name)
        version: 1.0.0
        runtime: subprocess
        runtimeConfig:
          platformCommand:
            - command: \(jsonQuoted(executable))
              args: []

        """
    }

    /// Writes the plugin (again, so a moved `airgap-install` is followed).
    public static func install(stateDirectory: String, executable: String) throws {
        let directory = pluginsDirectory(stateDirectory: stateDirectory) + "/" + name
        do { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
            throw InstallError.io("cannot create \(directory): \(error.localizedDescription)")
        }
        try StateFiles.write(Array(manifest(executable: executable).utf8), to: directory + "/plugin.yaml")
    }

    /// A JSON string is a YAML double-quoted scalar: any path stays one value.
    static func jsonQuoted(_ text: String) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        let data = (try? encoder.encode(text)) ?? Data("\"\"".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
