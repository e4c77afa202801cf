import Charts
import Foundation

/// The ordered steps of a deploy: per enabled component, in bundle order, the exact `helm`
/// command. Values files are rendered with the site values into the state directory
/// (`deploy/rendered/COMPONENT/…`, mode 0600: they may hold secrets) and passed by path, so no
/// value — secret or not — is ever on a command line, in a plan or in the journal.
public struct DeployPlan: Sendable, Codable {
    public struct Step: Sendable, Codable, Hashable {
        public var component: String
        public var namespace: String
        public var release: String
        /// What is done on the cluster before `command`, one line each: the namespace is made
        /// to exist, and the image pull secret is applied when there is one.
        public var clusterSteps: [String]
        /// The image pull secret in `namespace` the post-renderer adds to every pod (nil: none,
        /// the registry project is public or the nodes carry credentials).
        public var imagePullSecret: String?
        public var command: [String]
    }

    public var steps: [Step]
    /// Components the site switched off.
    public var skipped: [String]

    /// What `deploy` runs, and the rendered values files each step needs (path → text).
    public struct Prepared: Sendable {
        public var plan: DeployPlan
        public var renderedFiles: [String: String]
    }

    public struct Options: Sendable {
        public var helm: String
        /// `--timeout` per component, in Helm's duration form.
        public var timeout: String
        /// The post-renderer: the executable and its arguments (`airgap-install post-render
        /// --relocation FILE`); each step adds `--component NAME`.
        public var postRenderer: [String]
        /// The name of the image pull secret to create in each namespace (nil: none).
        public var imagePullSecret: String?
        public init(helm: String, timeout: String = "10m0s", postRenderer: [String], imagePullSecret: String? = nil) {
            self.helm = helm
            self.timeout = timeout
            self.postRenderer = postRenderer
            self.imagePullSecret = imagePullSecret
        }
    }

    /// Renders every enabled component's values (in memory) and builds its command.
    public static func prepare(_ source: DeploySource, values: SiteValues, options: Options) throws -> Prepared {
        var steps: [Step] = []
        var files: [String: String] = [:]
        for component in source.components where !values.disabledComponents.contains(component.name) {
            var command = [
                options.helm, "upgrade", "--install", component.releaseName, component.chart, "--namespace", component.namespace,
                "--create-namespace",
            ]
            for file in component.values {
                guard let data = FileManager.default.contents(atPath: file) else { throw InstallError.io("cannot read \(file)") }
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
            if let executable = options.postRenderer.first {
                command += ["--post-renderer", executable]
                for argument in options.postRenderer.dropFirst() + ["--component", component.name] {
                    command += ["--post-renderer-args", argument]
                }
            }
            var clusterSteps = ["namespace \(component.namespace): kubectl get namespace, created by kubectl apply --server-side if missing"]
            if let secret = options.imagePullSecret {
                clusterSteps.append(
                    "image pull secret \(secret) in \(component.namespace): kubectl apply --server-side (kubernetes.io/dockerconfigjson, password from standard input)"
                )
            }
            steps.append(
                Step(
                    component: component.name, namespace: component.namespace, release: component.releaseName, clusterSteps: clusterSteps,
                    imagePullSecret: options.imagePullSecret, command: command))
        }
        let skipped = source.components.map(\.name).filter { values.disabledComponents.contains($0) }
        return Prepared(plan: DeployPlan(steps: steps, skipped: skipped), renderedFiles: files)
    }

    /// Writes the rendered values files, readable by their owner only.
    public static func writeRendered(_ files: [String: String]) throws {
        for (path, text) in files.sorted(by: { $0.key < $1.key }) {
            let directory = (path as NSString).deletingLastPathComponent
            do { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
                throw InstallError.io("cannot create \(directory): \(error.localizedDescription)")
            }
            try StateFiles.write(Array(text.utf8), to: path, mode: 0o600)
        }
    }
}
