import Foundation
import Integrity
import Rendering

/// Runs a deploy plan: each selected component in order with `helm upgrade --install`, journaled
/// and recorded in `deploy-state.json`, after its namespace and pull secret (idempotent: every
/// run). A component whose inputs (command, chart, rendered values) are those of its last
/// install is left alone; a failure stops the run, and `resume` continues from it.
public struct Deployer: Sendable {
    public struct Options: Sendable {
        /// Only these components (none: all).
        public var only: Set<String> = []
        public var skip: Set<String> = []
        public var resume = false
        /// Where each component's namespace (and pull secret) is made before Helm runs.
        public var cluster: Kubectl
        /// Applied in every namespace before its component (nil: none).
        public var pullSecret: ImagePullSecret?
        /// Read a component's workloads (`WorkloadReadiness`) once helm installed it, for the events.
        public var readWorkloads = false
        public init(cluster: Kubectl, pullSecret: ImagePullSecret? = nil, only: Set<String> = [], skip: Set<String> = [], resume: Bool = false) {
            self.cluster = cluster
            self.pullSecret = pullSecret
            self.only = only
            self.skip = skip
            self.resume = resume
        }
    }

    public struct Outcome: Codable, Sendable, Hashable {
        public enum Result: String, Codable, Sendable { case installed, unchanged, skipped, failed, notRun }
        public var component: String
        public var namespace: String
        public var result: Result
        public var seconds: Double?
        /// Helm's message when it failed (secrets replaced by `***`).
        public var message: String?
    }

    public struct Report: Codable, Sendable {
        public var components: [Outcome]
        public var failed: String?
    }

    /// Where a component stands during a run, for a live view (`setup`'s table).
    public enum ComponentState: String, Sendable, CaseIterable {
        case waiting, installing
        case waitingForWorkloads = "waiting for workloads"
        case ready, failed, skipped
    }

    /// A component changed state; `detail` is the last thing that happened to it (secrets replaced by `***`).
    public struct Event: Sendable, Hashable {
        public var component: String
        public var state: ComponentState
        public var detail: String
    }

    let source: DeploySource
    let values: SiteValues
    let prepared: DeployPlan.Prepared
    let options: Options

    public init(source: DeploySource, values: SiteValues, prepared: DeployPlan.Prepared, options: Options) {
        self.source = source
        self.values = values
        self.prepared = prepared
        self.options = options
    }

    /// Runs it; `progress` hears a line per component as it starts and ends, `events` every change
    /// of state (first each component `waiting`, each switched-off one `skipped`). A failed
    /// component is in the report, not thrown: only I/O and a refused start throw.
    public func run(progress: @Sendable (String) -> Void = { _ in }, events: @Sendable (Event) -> Void = { _ in }) async throws -> Report {
        let stateDirectory = source.stateDirectory
        var state = try DeployState.load(stateDirectory)
        if let stopped = state.stoppedAt, !options.resume {
            throw InstallError.bundle(
                "the last deploy stopped at component \"\(stopped)\": run deploy --resume to continue from it (components already installed with the same inputs are left alone)"
            )
        }
        let siteTargets = try DeployTemplate.stage(prepared, source: source)
        let journal = try PushJournal(path: stateDirectory + "/journal.jsonl")
        journal.record("deploy-start", ["bundle": "\(source.index.name) \(source.index.version)", "resume": "\(options.resume)"])
        var outcomes: [Outcome] = []
        var failed: String?
        let steps = prepared.plan.steps
        for step in steps { events(Event(component: step.component, state: .waiting, detail: "")) }
        for name in prepared.plan.skipped { events(Event(component: name, state: .skipped, detail: "switched off in the site values")) }
        for (number, step) in steps.enumerated() {
            let label = "\(number + 1)/\(steps.count) \(step.component)"
            if let failed {
                outcomes.append(Outcome(component: step.component, namespace: step.namespace, result: .notRun))
                events(Event(component: step.component, state: .waiting, detail: "not run: \(failed) failed"))
                continue
            }
            if !options.only.isEmpty && !options.only.contains(step.component) || options.skip.contains(step.component) {
                outcomes.append(Outcome(component: step.component, namespace: step.namespace, result: .skipped))
                journal.record("component-skipped", ["component": step.component])
                events(Event(component: step.component, state: .skipped, detail: "left out (--only / --skip)"))
                continue
            }
            events(Event(component: step.component, state: .installing, detail: "namespace \(step.namespace)"))
            let inputs = try digest(step)
            let unchanged = state.components[step.component].map { $0.status == .deployed && $0.inputs == inputs } ?? false
            func fail(_ message: String, seconds: Double? = nil) async throws {
                state.components[step.component] = .init(status: .failed, inputs: inputs, time: ISO8601DateFormatter().string(from: Date()))
                state.stoppedAt = step.component
                try await state.save(stateDirectory)
                journal.record("component-failed", ["component": step.component, "message": message])
                outcomes.append(Outcome(component: step.component, namespace: step.namespace, result: .failed, seconds: seconds, message: message))
                progress("\(label): FAILED")
                events(Event(component: step.component, state: .failed, detail: message))
                failed = step.component
            }
            // The cluster must be ready for it, and what helm would apply must name only site
            // images (Helm 3 never post-renders hooks); otherwise it fails before helm runs.
            var refusal = await prepareCluster(for: step, journal: journal)
            if refusal == nil, !unchanged { refusal = await imagesOutsideSite(step, siteTargets: siteTargets) }
            if let message = refusal {
                try await fail(message)
                continue
            }
            if unchanged {
                outcomes.append(Outcome(component: step.component, namespace: step.namespace, result: .unchanged))
                journal.record("component-unchanged", ["component": step.component])
                progress("\(label): unchanged")
                events(Event(component: step.component, state: .ready, detail: "unchanged since the last deploy"))
                continue
            }
            progress("\(label): helm upgrade --install \(step.release) (namespace \(step.namespace)) …")
            journal.record(
                "component-start", ["component": step.component, "namespace": step.namespace, "command": step.command.joined(separator: " ")])
            events(Event(component: step.component, state: .installing, detail: "helm upgrade --install \(step.release)"))
            do { try PostRenderer.clearFailure(relocation: source.relocation, component: step.component) } catch {
                try await fail(redacted("\(error)"))
                continue
            }
            let started = Date()
            let output: HelmEngine.Output
            do {
                output = try await HelmEngine(executable: step.command[0]).run(
                    Array(step.command.dropFirst()), environment: step.environment ?? [:], scratch: StateFiles.helmScratch(stateDirectory))
            } catch {
                output = HelmEngine.Output(status: -1, stdout: "", stderr: "\(error)")
            }
            let seconds = Date().timeIntervalSince(started)
            if output.status == 0 {
                state.components[step.component] = .init(status: .deployed, inputs: inputs, time: ISO8601DateFormatter().string(from: Date()))
                try await state.save(stateDirectory)
                journal.record("component-done", ["component": step.component, "seconds": String(format: "%.1f", seconds)])
                outcomes.append(Outcome(component: step.component, namespace: step.namespace, result: .installed, seconds: seconds))
                progress("\(label): installed (\(String(format: "%.1f", seconds)) s)")
                await reportReadiness(step, helmSeconds: seconds, events: events)
            } else {
                let helmMessage = PostRenderer.withRecordedFailure(output.stderr, relocation: source.relocation, component: step.component)
                try await fail(redacted(helmMessage.trimmingCharacters(in: .whitespacesAndNewlines)), seconds: seconds)
            }
        }
        if failed == nil {
            state.stoppedAt = nil
            try await state.save(stateDirectory)
            journal.record("deploy-done", [:])
        }
        return Report(components: outcomes, failed: failed)
    }

    /// `ready` once helm installed a component: with `readWorkloads`, after reading its workloads.
    func reportReadiness(_ step: DeployPlan.Step, helmSeconds: Double, events: @Sendable (Event) -> Void) async {
        let installed = "installed in \(String(format: "%.1f", helmSeconds)) s"
        guard options.readWorkloads else {
            events(Event(component: step.component, state: .ready, detail: installed))
            return
        }
        events(Event(component: step.component, state: .waitingForWorkloads, detail: installed + "; reading workloads"))
        let readiness = await WorkloadReadiness.read(release: step.release, namespace: step.namespace, with: options.cluster)
        events(Event(component: step.component, state: .ready, detail: installed + "; " + values.redacted(readiness.summary)))
    }

    /// The namespace, then the pull secret; journaled. The failure's message (secrets replaced), or nil.
    func prepareCluster(for step: DeployPlan.Step, journal: PushJournal) async -> String? {
        do {
            let outcome = try await NamespaceSetup.ensure(step.namespace, with: options.cluster)
            journal.record("namespace-ready", ["component": step.component, "namespace": step.namespace, "outcome": outcome.rawValue])
            if let secret = options.pullSecret {
                try await secret.apply(in: step.namespace, with: options.cluster)
                journal.record("pull-secret-applied", ["namespace": step.namespace, "secret": secret.name, "registry": secret.registry])
            }
            return nil
        } catch {
            return redacted("\(error)")
        }
    }

    /// `text` with every secret value and the pull secret's password replaced by `***`.
    func redacted(_ text: String) -> String {
        let message = values.redacted(text)
        return options.pullSecret?.redacted(message) ?? message
    }

    /// Why the step must not be installed, rendered as its helm would: a render failure or images
    /// outside the site registry; nil when every image is a pushed one.
    func imagesOutsideSite(_ step: DeployPlan.Step, siteTargets: Set<String>) async -> String? {
        do {
            let rendered = try await DeployTemplate.render(step, source: source, values: values, siteTargets: siteTargets)
            guard !rendered.imagesNotFromSite.isEmpty else { return nil }
            return DeployTemplate.notFromSiteMessage(component: step.component, images: rendered.imagesNotFromSite)
        } catch {
            return redacted("\(error)")
        }
    }

    /// What Helm is asked: the command, the chart's bytes and the rendered values.
    func digest(_ step: DeployPlan.Step) throws -> String {
        let hasher = SHA256Hasher()
        hasher.update(Array(step.command.joined(separator: "\u{0}").utf8))
        guard let path = step.chart, let chart = try StateFiles.read(path) else {
            throw InstallError.io("cannot read the chart of \(step.command.joined(separator: " "))")
        }
        hasher.update(Array(chart))
        for path in step.command.indices.filter({ step.command[$0] == "--values" }).map({ step.command[$0 + 1] }) {
            hasher.update(Array((prepared.renderedFiles[path] ?? "").utf8))
        }
        return hasher.finalizeHex()
    }
}
