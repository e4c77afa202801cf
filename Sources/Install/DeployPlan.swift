import Foundation
import Rendering

/// The ordered steps of a deploy: per enabled component, the exact `helm` command. Values files
/// are rendered into `deploy/rendered/COMPONENT/` (0600) and passed by path, so no value is ever
/// on a command line, in a plan or in the journal.
public struct DeployPlan: Sendable, Codable {
    public struct Step: Sendable, Codable, Hashable {
        public var component: String
        public var namespace: String
        public var release: String
        /// What is done on the cluster before `command` (namespace, pull secret), a line each.
        public var clusterSteps: [String]
        public var command: [String]
        /// Added to helm's environment: `HELM_PLUGINS` for Helm 4's post-renderer plugin.
        public var environment: [String: String]?
        /// The image pull secret every rewritten pod spec names (made by deploy with the registry
        /// login, else by the site); nil: the site registry needs no credentials.
        public var imagePullSecret: String?
    }

    public var steps: [Step]
    /// Components the site switched off.
    public var skipped: [String]

    /// What `deploy` runs, and the rendered values files each step needs (path → text).
    public struct Prepared: Sendable {
        public var plan: DeployPlan
        public var renderedFiles: [String: String]
        /// Helm 4: the executable the post-renderer plugin runs, installed by deploy before helm.
        public var pluginExecutable: String?
    }

    public struct Options: Sendable {
        public var helm: String
        /// `--timeout` per component, in Helm's duration form.
        public var timeout: String
        /// `airgap-install post-render --relocation FILE`; each step adds `[--image-pull-secret NAME] --component NAME`.
        public var postRenderer: [String]
        /// How this helm takes it (`SupportedHelm.form(of:)`).
        public var postRendererForm: SupportedHelm.PostRendererForm
        public var imagePullSecret: String?
        /// deploy creates (or updates) `imagePullSecret` in each namespace: it has the login.
        public var createsPullSecret: Bool
        public init(
            helm: String, timeout: String = "10m0s", postRenderer: [String], postRendererForm: SupportedHelm.PostRendererForm = .executable,
            imagePullSecret: String? = nil, createsPullSecret: Bool = false
        ) {
            self.createsPullSecret = createsPullSecret
            self.helm = helm
            self.timeout = timeout
            self.postRenderer = postRenderer
            self.postRendererForm = postRendererForm
            self.imagePullSecret = imagePullSecret
        }
    }

    /// Renders every enabled component's values (in memory) and builds its command.
    public static func prepare(_ source: DeploySource, values: SiteValues, options: Options) throws -> Prepared {
        var steps: [Step] = []
        var files: [String: String] = [:]
        for component in source.components where !values.disabledComponents.contains(component.name) {
            // Release and chart come last, after `--`: nothing from the bundle is read as an option.
            var command = [options.helm, "upgrade", "--install", "--namespace", component.namespace, "--create-namespace"]
            for file in component.values {
                guard let data = try StateFiles.read(file) else { throw InstallError.io("cannot read \(file)") }
                let rendered: String
                do {
                    rendered = try ValuesTemplate.render(String(decoding: data, as: UTF8.self), file: file) { values.value($0) }
                } catch { throw InstallError.bundle("component \"\(component.name)\": \(error)") }
                // The bundle's names (`NN-FILE`) keep the merge order.
                let path = source.stateDirectory + "/deploy/rendered/\(component.name)/" + (file as NSString).lastPathComponent
                files[path] = rendered
                command += ["--values", path]
            }
            command += ["--wait", "--timeout", options.timeout]
            var environment: [String: String]?
            if let executable = options.postRenderer.first {
                let arguments = options.postRenderer.dropFirst() + (options.imagePullSecret.map { ["--image-pull-secret", $0] } ?? [])
                switch options.postRendererForm {
                case .executable: command += ["--post-renderer", executable]
                case .plugin:
                    command += ["--post-renderer", PostRenderPlugin.name]
                    environment = ["HELM_PLUGINS": PostRenderPlugin.pluginsDirectory(stateDirectory: source.stateDirectory)]
                }
                for argument in arguments + ["--component", component.name] { command += ["--post-renderer-args", argument] }
            }
            command += ["--", component.releaseName, component.chart]
            var clusterSteps = ["namespace \(component.namespace): kubectl get namespace, created by kubectl apply --server-side if missing"]
            if let secret = options.imagePullSecret, options.createsPullSecret {
                clusterSteps.append(
                    "image pull secret \(secret) in \(component.namespace): kubectl apply --server-side (kubernetes.io/dockerconfigjson, password from standard input)"
                )
            }
            steps.append(
                Step(
                    component: component.name, namespace: component.namespace, release: component.releaseName, clusterSteps: clusterSteps,
                    command: command, environment: environment, imagePullSecret: options.imagePullSecret))
        }
        let skipped = source.components.map(\.name).filter { values.disabledComponents.contains($0) }
        let plugin = options.postRendererForm == .plugin ? options.postRenderer.first : nil
        return Prepared(plan: DeployPlan(steps: steps, skipped: skipped), renderedFiles: files, pluginExecutable: plugin)
    }

    /// Writes the rendered values files, readable by their owner only.
    public static func writeRendered(_ files: [String: String]) throws {
        for (path, text) in files.sorted(by: { $0.key < $1.key }) {
            let directory = (path as NSString).deletingLastPathComponent
            try StateFiles.makeDirectory(directory)
            try StateFiles.write(Array(text.utf8), to: path, mode: 0o600)
        }
    }
}

extension DeployPlan.Step {
    /// The chart archive `command` installs: the last argument, after `--` and the release name.
    public var chart: String? {
        guard let end = command.lastIndex(of: "--"), end + 2 == command.count - 1 else { return nil }
        return command[end + 2]
    }
}
