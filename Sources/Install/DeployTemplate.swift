import Foundation
import Rendering

/// What Helm would apply, component by component, without the cluster: each step's chart through
/// `helm template` with its values and post-renderer, as deploy's `helm upgrade --install` renders it.
public enum DeployTemplate {
    public struct Rendered: Sendable, Codable, Hashable {
        public var component: String
        public var namespace: String
        /// The manifests, after the post-renderer (they hold secret values where the chart puts them).
        public var manifests: String
        /// Images in `manifests` not from the site registry, with where they are: Helm 3 never
        /// post-renders a chart's hooks (helm/helm#7891).
        public var imagesNotFromSite: [String]
    }

    /// `helm template` for a step: its `upgrade --install` command without what only an install
    /// takes (`--create-namespace`, `--wait`, `--timeout`); release and chart stay after `--`.
    public static func command(for step: DeployPlan.Step) -> [String] {
        let command = step.command
        guard command.count >= 5, command[1] == "upgrade", command[2] == "--install" else { return command }
        var result = [command[0], "template"]
        var index = 3
        while index < command.count {
            switch command[index] {
            case "--create-namespace", "--wait": index += 1
            case "--timeout": index += 2
            case "--":
                result += command[index...]
                index = command.count
            case "--namespace", "--values", "--post-renderer", "--post-renderer-args":
                // A flag and its value, whatever the value looks like.
                result += command[index..<min(index + 2, command.count)]
                index += 2
            default:
                result.append(command[index])
                index += 1
            }
        }
        return result
    }

    /// Renders the steps of `prepared` (all when `only` is empty), staged as deploy stages them. A
    /// failed render throws with Helm's words, site secrets replaced by `***`.
    public static func render(
        _ prepared: DeployPlan.Prepared, source: DeploySource, values: SiteValues, only: Set<String> = []
    ) async throws -> [Rendered] {
        let targets = try stage(prepared, source: source)
        var rendered: [Rendered] = []
        for step in prepared.plan.steps where only.isEmpty || only.contains(step.component) {
            rendered.append(try await render(step, source: source, values: values, siteTargets: targets))
        }
        return rendered
    }

    /// What helm needs in the state directory before it renders (the values files, Helm 4's
    /// plugin); returns every pushed image reference (`relocation.json`'s targets).
    static func stage(_ prepared: DeployPlan.Prepared, source: DeploySource) throws -> Set<String> {
        try DeployPlan.writeRendered(prepared.renderedFiles)
        if let executable = prepared.pluginExecutable { try PostRenderPlugin.install(stateDirectory: source.stateDirectory, executable: executable) }
        return Set(try RelocationMap.read(source.relocation).images.map(\.target))
    }

    /// One step, rendered as deploy's helm would render it (after `stage`).
    public static func render(_ step: DeployPlan.Step, source: DeploySource, values: SiteValues, siteTargets: Set<String>) async throws
        -> Rendered
    {
        try PostRenderer.clearFailure(relocation: source.relocation, component: step.component)
        let command = Self.command(for: step)
        let output = try await HelmEngine(executable: command[0]).run(
            Array(command.dropFirst()), environment: step.environment ?? [:], scratch: StateFiles.helmScratch(source.stateDirectory))
        guard output.status == 0 else {
            let message = PostRenderer.withRecordedFailure(
                output.stderr.trimmingCharacters(in: .whitespacesAndNewlines), relocation: source.relocation, component: step.component)
            throw InstallError.bundle(
                "component \"\(step.component)\": helm template failed: \(values.redacted(message.isEmpty ? "exit status \(output.status)" : message))"
            )
        }
        let found: [DiscoveredImage]
        do { found = try ImageDiscovery.discover(renderedManifests: output.stdout) } catch {
            throw InstallError.bundle("component \"\(step.component)\": what helm renders cannot be read: \(error)")
        }
        // Test hooks run only with `helm test`, which deploy never runs.
        let outside = found.filter { !$0.testOnly && !siteTargets.contains($0.reference) }.map {
            "\($0.reference) (\($0.sources.joined(separator: ", ")))"
        }
        return Rendered(component: step.component, namespace: step.namespace, manifests: output.stdout, imagesNotFromSite: outside)
    }

    /// Why a component whose rendering names `images` outside the site registry is not installed.
    public static func notFromSiteMessage(component: String, images: [String]) -> String {
        "component \"\(component)\": what helm would apply still names \(images.count == 1 ? "an image" : "\(images.count) images") outside the site registry, which the cluster cannot pull here: "
            + images.joined(separator: "; ")
            + ". Helm 3 does not pass a chart's hooks through post-renderers (helm/helm#7891); Helm 4 does: give --helm a Helm 4 (or bundle one as a tool), or switch that hook off in the component's values"
    }

    /// Writes each component's manifests to `DIRECTORY/NN-COMPONENT.yaml` (0600: they may hold secrets).
    public static func write(_ rendered: [Rendered], to directory: String) throws -> [String] {
        try StateFiles.makeDirectory(directory)
        var paths: [String] = []
        for (number, item) in rendered.enumerated() {
            let path = directory + "/" + String(format: "%02d-", number + 1) + item.component + ".yaml"
            try StateFiles.write(Array(item.manifests.utf8), to: path, mode: 0o600)
            paths.append(path)
        }
        return paths
    }
}
