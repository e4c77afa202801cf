import ArgumentParser
import Bundle
import BundleCommands
import Foundation
import Install
import Integrity
import Registry
import Synchronization
import Terminal

/// `airgap-install push`: verify a bundle and push every image into the site's Harbor in one pass.
struct PushCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "push",
        abstract: "Verify a bundle and push every image into the site registry (Harbor), straight from the archive.",
        discussion: """
            One pass over the archive: the signature of bundle.json is checked before any byte is \
            sent; blobs are uploaded as they stream out (nothing is unpacked to disk) and checked \
            against the signed bundle.json; manifests and tags are pushed only after the whole \
            archive verified, so a bundle that fails registers no image. Blobs the registry already \
            has are skipped, so a rerun pushes only what is missing. When an earlier push of the \
            same signed bundle.json is complete (every manifest and tag in the registry at its \
            digest, charts and files in the state directory), a rerun checks that and stops \
            without reading the rest of the archive; --full reads it all. Images keep their digests and \
            land at REGISTRY/PROJECT/<original path> (docker.io/bitnami/keycloak:22.0.5 → \
            REGISTRY/PROJECT/bitnami/keycloak:22.0.5). The Harbor project is created (private) if \
            missing; a plain OCI registry works too. Charts, files, relocation.json and journal.jsonl \
            go to the state directory for deploy.
            Exit status: 0 pushed, 1 verification or push failed, 2 usage or I/O error.

            Examples:
              airgap-install push astrago-1.0.0.tar.zst --key vendor.pub --registry harbor.site:443 \\
                  --project astrago --username admin --password-stdin < harbor.pass
              AIRGAP_REGISTRY_PASSWORD=… airgap-install push astrago-1.0.0.tar.zst --key vendor.pub \\
                  --registry 10.0.0.5:30002 --plain-http --project astrago --username admin --json
            """)

    @Argument(help: "The bundle archive.")
    var file: String

    @Option(name: .customLong("key"), help: ArgumentHelp("The vendor's public key (PEM). Repeatable, for key rotation.", valueName: "pub"))
    var keys: [String] = []

    @Option(name: .customLong("registry"), help: ArgumentHelp("The site registry, host[:port].", valueName: "host[:port]"))
    var registry: String

    @Option(name: .customLong("project"), help: ArgumentHelp("The Harbor project to push into (created private if missing).", valueName: "name"))
    var project: String

    @OptionGroup var login: RegistryLoginOptions

    @Option(
        name: .customLong("harbor-api"),
        help: ArgumentHelp("Harbor's API base URL when it is not the registry's own (default: the registry).", valueName: "url"))
    var harborAPI: String?

    @Option(name: .customLong("concurrency"), help: "Blob uploads at the same time.")
    var concurrency = 4

    @Option(name: .customLong("retries"), help: "Attempts per request for 429, 5xx and broken connections.")
    var retries = 5

    @Option(
        name: .customLong("timeout"),
        help: ArgumentHelp(
            "Seconds a registry request may take (its answer, then its body; 1 s more per 128 KiB of a blob) before it is retried.",
            valueName: "seconds"))
    var timeout: Int64 = 60

    @Option(
        name: .customLong("state-dir"),
        help: ArgumentHelp(
            "Where charts, files, relocation.json and the journal go (default /var/lib/airgap-install/NAME-VERSION).", valueName: "dir"))
    var stateDirectory: String?

    @Option(
        name: .customLong("base-state-dir"),
        help: ArgumentHelp(
            "For a delta bundle: the state directory of the base it builds on (default: BASE-NAME-VERSION beside --state-dir).", valueName: "dir"))
    var baseStateDirectory: String?

    @Flag(name: .customLong("require-archive-signature"), help: "Fail when the detached signature FILE.sig is missing.")
    var requireArchiveSignature = false

    @Flag(
        name: .customLong("full"),
        help: "Read and verify the whole archive even when an earlier push of the same signed bundle.json is complete.")
    var fullPass = false

    @Flag(name: .customLong("json"), help: "Print a JSON report on standard output.")
    var json = false

    func validate() throws {
        guard !keys.isEmpty else { throw ValidationError("give the vendor's public key with --key") }
        guard !registry.isEmpty, !registry.contains("/") else { throw ValidationError("--registry is a host[:port], without a path or scheme") }
        guard !project.isEmpty, project.range(of: "^[a-z0-9]+(?:[._-][a-z0-9]+)*$", options: .regularExpression) != nil else {
            throw ValidationError("--project \"\(project)\" must be lowercase letters, digits and . _ - (as Harbor project names are)")
        }
        guard (1...64).contains(concurrency) else { throw ValidationError("--concurrency must be 1 to 64") }
        guard retries >= 1 else { throw ValidationError("--retries must be at least 1") }
        guard timeout >= 1 else { throw ValidationError("--timeout must be at least 1 second") }
    }

    func run() async throws {
        let trusted = try KeyFiles.readPublic(keys)
        let credential = try login.credential()
        var options = PushOptions()
        options.concurrency = concurrency
        options.attempts = retries
        options.requireArchiveSignature = requireArchiveSignature
        options.fullPass = fullPass
        options.stateDirectory = stateDirectory
        options.baseStateDirectory = baseStateDirectory
        let lock = try StateLocking.lockForPush(stateDirectory, bundle: file, keys: trusted)
        defer { lock?.release() }
        let progress = ProgressLine()
        let drawn = ProgressState()
        let report: PushReport
        do {
            report = try await Self.push(
                file, keys: trusted, registry: registry, project: project, harborAPI: harborAPI, login: login, credential: credential,
                options: options, timeout: timeout
            ) { total, done in
                let (start, delta) = drawn.update(total: total, done: done)
                if start { progress.setTotal(total, label: "pushing:") }
                if delta > 0 { progress.advance(by: delta) }
            }
            progress.finish()
        } catch {
            progress.finish()
            let failure = CommandFailure.from(error)
            if json { print(JSONOutput.text(["error": failure.message])) }
            throw failure
        }
        if json {
            print(JSONOutput.text(report))
        } else if report.alreadyPushed {
            print(
                TerminalText.escaped(
                    """
                    already pushed: \(report.bundle) \(report.version) → \(report.registry)/\(report.project): \(report.images) images checked, every manifest and tag at the signed digest
                    the archive was not read past bundle.json (its signature verified); --full reads and verifies all of it
                    time: \(String(format: "%.1f", report.seconds)) s
                    relocation: \(report.relocation)
                    """))
        } else {
            let rate = report.seconds > 0 ? Double(report.bytesUploaded) / report.seconds : 0
            print(
                TerminalText.escaped(
                    """
                    pushed: \(report.bundle) \(report.version) → \(report.registry)/\(report.project) (\(Self.words(report.projectOutcome)))
                    images: \(report.images); manifests pushed \(report.manifestsPushed), already there \(report.manifestsPresent); tags pushed \(report.tagsPushed), unchanged \(report.tagsUnchanged)
                    blobs: uploaded \(report.blobsUploaded) (\(ByteCount.format(report.bytesUploaded))), already there \(report.blobsSkipped) (\(ByteCount.format(report.bytesSkipped))), mounted \(report.blobsMounted)
                    time: \(String(format: "%.1f", report.seconds)) s, \(ByteCount.format(Int64(rate)))/s; detached signature \(report.archiveSignature?.rawValue ?? "not read")
                    relocation: \(report.relocation)
                    """))
        }
    }

    /// A push with a registry client of its own, shut down however it ends (push and setup).
    static func push(
        _ archive: String, keys: [VerifyingKey], registry: String, project: String, harborAPI: String?, login: RegistryLoginOptions,
        credential: Credential?, options: PushOptions, timeout: Int64 = 60, progress: @escaping @Sendable (_ total: Int64, _ done: Int64) -> Void
    ) async throws -> PushReport {
        var (configuration, store) = login.clientSettings(for: registry, credential: credential)
        configuration.retry = RetryPolicy(maxAttempts: options.attempts)
        configuration.readTimeoutSeconds = timeout
        let target = PushTarget(
            registry: registry, project: project,
            harborAPI: harborAPI ?? "\(login.plainHTTP ? "http" : "https")://\(registry)", credential: credential)
        return try await RegistryClient.withClient(configuration: configuration, credentials: store, shutdownFailed: CommandRunner.warn) { client in
            try await BundlePusher(client: client, keys: keys, target: target, options: options).push(archive, progress: progress)
        }
    }

    static func words(_ outcome: HarborProjectOutcome) -> String {
        switch outcome {
        case .existed: return "Harbor project already there"
        case .created: return "Harbor project created, private"
        case .notHarbor: return "no Harbor API: a plain registry, no project to create"
        }
    }
}

/// Turns (total, done) reports into progress-line calls.
final class ProgressState: Sendable {
    private let last = Mutex((total: Int64(-1), done: Int64(0)))

    func update(total: Int64, done: Int64) -> (start: Bool, delta: Int64) {
        last.withLock { last in
            defer { last = (total, done) }
            return (total != last.total, done - last.done)
        }
    }
}
