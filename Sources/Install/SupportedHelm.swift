import Foundation
import Rendering

/// The Helm versions plan, deploy and preflight drive: 3 from 3.8 (OCI charts, `--post-renderer-args`) and 4.
public enum SupportedHelm {
    public static let range = (lowest: SemanticVersion(3, 8, 0), below: SemanticVersion(5, 0, 0))
    public static var rangeText: String { "supported: \(range.lowest) up to below \(range.below)" }

    public enum PostRendererForm: String, Sendable, Codable {
        /// Helm 3: `--post-renderer EXECUTABLE`.
        case executable
        /// Helm 4: `--post-renderer PLUGIN` (a `postrenderer/v1` plugin under `HELM_PLUGINS`).
        case plugin
    }

    /// The version `helm version --template {{.Version}}` printed, checked against `range`.
    public static func form(ofVersion text: String, helm: String) throws -> PostRendererForm {
        guard let version = SemanticVersion(text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw InstallError.bundle("\(helm) reports version \"\(text)\", which is not a version (\(rangeText))")
        }
        let plain = SemanticVersion(version.major, version.minor, version.patch)
        guard plain >= range.lowest, plain < range.below else {
            throw InstallError.bundle("helm \(version.original) (\(helm)) is not supported (\(rangeText))")
        }
        return version.major >= 4 ? .plugin : .executable
    }

    /// Asks `helm` its version and how it takes a post-renderer; refuses one out of range.
    public static func form(of helm: String) async throws -> PostRendererForm {
        let arguments = ["version", "--template", "{{.Version}}"]
        let output: HelmEngine.Output
        do { output = try await HelmEngine(executable: helm).run(arguments) } catch {
            throw InstallError.io("cannot run \(helm) version: \(error)")
        }
        guard output.status == 0 else {
            throw InstallError.tool(
                ToolFailure("\(helm) version failed (\(rangeText))", command: [helm] + arguments, output: output, wholeOutput: true))
        }
        return try form(ofVersion: output.stdout, helm: helm)
    }
}
