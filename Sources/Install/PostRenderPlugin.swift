import Foundation

/// Helm 4's form of our post-renderer: a `postrenderer/v1` plugin with the subprocess runtime,
/// in a plugins directory of the state directory (`deploy/helm-plugins/airgap-post-render/`).
/// Helm finds it through `HELM_PLUGINS`, set for the helm process only, so the admin's own
/// plugins and Helm settings are left alone. Its command is `${HELM_PLUGIN_DIR}/airgap-install`,
/// a symbolic link to this executable: Helm 4 splits a plugin's command at spaces and expands
/// `$` in it, so a path is never written into `plugin.yaml` itself. Helm appends the
/// `--post-renderer-args` of each step, the same arguments Helm 3's executable form gets
/// (`post-render` first).
public enum PostRenderPlugin {
    public static let name = "airgap-post-render"

    /// The directory `HELM_PLUGINS` names.
    public static func pluginsDirectory(stateDirectory: String) -> String { stateDirectory + "/deploy/helm-plugins" }

    /// The link in the plugin's directory that its command runs.
    static let link = "airgap-install"

    /// `plugin.yaml` (apiVersion v1); `post-render` and the rest come from
    /// `--post-renderer-args`, exactly as for Helm 3.
    public static let manifest = """
        # Written by airgap-install deploy: Helm 4 runs it as --post-renderer \(name).
        apiVersion: v1
        type: postrenderer/v1
        name: \(name)
        version: 1.0.0
        runtime: subprocess
        runtimeConfig:
          platformCommand:
            - command: "${HELM_PLUGIN_DIR}/\(link)"

        """

    /// Writes the plugin (again, so a moved `airgap-install` is followed).
    public static func install(stateDirectory: String, executable: String) throws {
        let directory = pluginsDirectory(stateDirectory: stateDirectory) + "/" + name
        try StateFiles.makeDirectory(directory)
        let linkPath = directory + "/" + link
        try? FileManager.default.removeItem(atPath: linkPath)  // an old link; if it stays, creating the new one fails below
        do { try FileManager.default.createSymbolicLink(atPath: linkPath, withDestinationPath: executable) } catch {
            throw InstallError.io("cannot link \(linkPath) to \(executable): \(error.localizedDescription)")
        }
        try StateFiles.write(Array(manifest.utf8), to: directory + "/plugin.yaml")
    }
}
