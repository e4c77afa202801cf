import Foundation

/// Helm 4's form of our post-renderer: a `postrenderer/v1` subprocess plugin in
/// `STATE/deploy/helm-plugins`, found through `HELM_PLUGINS` (set for helm only, so the admin's own
/// plugins stay). Its command is `${HELM_PLUGIN_DIR}/airgap-install`, a link to this executable:
/// Helm 4 splits a plugin's command at spaces and expands `$`, so no path goes into `plugin.yaml`.
public enum PostRenderPlugin {
    public static let name = "airgap-post-render"

    /// The directory `HELM_PLUGINS` names.
    public static func pluginsDirectory(stateDirectory: String) -> String { stateDirectory + "/deploy/helm-plugins" }

    static let link = "airgap-install"

    /// `plugin.yaml`; `post-render` and the rest come from `--post-renderer-args`, as for Helm 3.
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
