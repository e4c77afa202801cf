import ArgumentParser
import Bundle
import BundleCommands
import BundleServer
import Foundation
import Install
import Terminal

/// `airgap-install node-config`: the mirror configuration that makes every node pull through `serve`.
struct NodeConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "node-config",
        abstract: "Write the container runtime configuration that makes every node pull the bundle's images through serve.",
        discussion: """
            For containerd (1.x: --runtime containerd; 2.x: containerd2) one hosts.toml per \
            registry the bundle's images come from, and one for the site registry, laid out as \
            containerd's config_path expects (OUTPUT/HOST[:PORT]/hosts.toml); every upstream \
            registry's server is the bundle server, so no node ever tries the internet. Pulls of \
            SITE_REGISTRY/PROJECT/... reach serve with ?ns=SITE_REGISTRY, which serve maps to the \
            image push will put there. For CRI-O a registries.conf.d drop-in with \
            [[registry.mirror]] entries. --after-push puts the site registry first and keeps the \
            bundle server as the fallback. OUTPUT/install.sh installs the files on a node and is \
            safe to run again; hosts.toml changes need no restart of containerd and no pod restarts. \
            OUTPUT/node-config.json records what the files were written for (preflight \
            --node-config OUTPUT checks it against the site registry of the install).
            Only bundle.json is read (its signature checked), not the whole archive.

            Examples:
              airgap-install node-config astrago-1.0.0.tar.zst --key vendor.pub --runtime containerd \\
                  --serve http://10.0.0.5:5000 --registry harbor.site:443 --project astrago --output node-config
              for node in $(cat nodes); do scp -r node-config $node:/tmp/ && ssh $node sh /tmp/node-config/install.sh; done
              airgap-install node-config astrago-1.0.0.tar.zst --key vendor.pub --runtime containerd \\
                  --serve http://10.0.0.5:5000 --registry harbor.site:443 --project astrago --after-push --output node-config
            """)

    @Argument(help: "The bundle archive.")
    var file: String

    @Option(name: .customLong("key"), help: ArgumentHelp("The vendor's public key (PEM). Repeatable, for key rotation.", valueName: "pub"))
    var keys: [String] = []

    @Option(name: .customLong("runtime"), help: ArgumentHelp("containerd (1.x), containerd2 or crio.", valueName: "runtime"))
    var runtime: String

    @Option(name: .customLong("serve"), help: ArgumentHelp("The bundle server as nodes reach it.", valueName: "http(s)://addr:port"))
    var serve: String

    @Option(name: .customLong("registry"), help: ArgumentHelp("The site registry, host[:port].", valueName: "host[:port]"))
    var registry: String?

    @Option(name: .customLong("project"), help: ArgumentHelp("The project push uses in the site registry.", valueName: "name"))
    var project: String?

    @Flag(name: .customLong("plain-http"), help: "The site registry speaks plain HTTP.")
    var plainHTTP = false

    @Option(name: .customLong("ca-file"), help: ArgumentHelp("The CA (PEM) of the HTTPS endpoints, installed on every node.", valueName: "file"))
    var caFile: String?

    @Flag(name: .customLong("after-push"), help: "The site registry first, the bundle server as the fallback.")
    var afterPush = false

    @Option(name: .customLong("output"), help: ArgumentHelp("The folder to write (created; files replaced).", valueName: "dir"))
    var output: String

    @Flag(name: .customLong("json"), help: "Print the files written as JSON.")
    var json = false

    func validate() throws {
        guard !keys.isEmpty else { throw ValidationError("give the vendor's public key with --key") }
        guard NodeConfig.Runtime(rawValue: runtime) != nil else { throw ValidationError("--runtime is containerd, containerd2 or crio") }
        guard serve.hasPrefix("http://") || serve.hasPrefix("https://"), let url = URL(string: serve), url.host != nil, url.path.isEmpty
        else { throw ValidationError("--serve \"\(serve)\" is not http(s)://ADDR:PORT") }
        guard (registry == nil) == (project == nil) else { throw ValidationError("--registry and --project go together") }
        guard !afterPush || registry != nil else { throw ValidationError("--after-push needs --registry and --project") }
        guard !(plainHTTP && caFile != nil) else { throw ValidationError("--plain-http and --ca-file exclude each other") }
    }

    func run() throws {
        let trusted = try KeyFiles.readPublic(keys)
        let signed: BundleVerifier.SignedIndex
        do { signed = try BundleVerifier(keys: trusted).readSignedIndex(file) } catch { throw CommandFailure.from(error) }
        let kind = NodeConfig.Runtime(rawValue: runtime)!
        let caName = "airgap-\(signed.index.name)-ca.crt"
        let nodeCA = caFile.map { _ in NodeConfig.containerdHostsDirectory + "/" + caName }
        let site = registry.flatMap { registry in project.map { ServedRepositories.SiteName(registry: registry, project: $0) } }
        let options = NodeConfig.Options(runtime: kind, serve: serve, site: site, plainHTTP: plainHTTP, caPath: nodeCA, afterPush: afterPush)
        let config: NodeConfig
        do { config = try NodeConfig(index: signed.index, options: options) } catch {
            throw CommandFailure(error.description, .failed)
        }
        var written: [String] = []
        do {
            for (path, content) in config.files {
                let target = output + "/" + path
                try FileManager.default.createDirectory(
                    atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try Data(content.utf8).write(to: URL(fileURLWithPath: target), options: .atomic)
                written.append(target)
            }
            chmod(output + "/install.sh", 0o755)
            // What these files were written for, for `preflight --node-config` (install.sh ignores it).
            let record = Preflight.NodeConfigRecord(
                bundle: signed.index.name, runtime: runtime, serve: serve, registry: registry, project: project, afterPush: afterPush)
            let recordPath = output + "/" + Preflight.NodeConfigRecord.fileName
            try Data((JSONOutput.text(record) + "\n").utf8).write(to: URL(fileURLWithPath: recordPath), options: .atomic)
            written.append(recordPath)
            if let caFile {
                try? FileManager.default.removeItem(atPath: output + "/" + caName)
                try FileManager.default.copyItem(atPath: caFile, toPath: output + "/" + caName)
                written.append(output + "/" + caName)
            }
        } catch {
            throw CommandFailure("cannot write \(output): \(error.localizedDescription)", .usage)
        }
        if json {
            print(JSONOutput.text(["files": written, "nodeDirectory": [config.nodeDirectory]]))
            return
        }
        var text = "wrote \(written.count) files for \(runtime) to \(output)\n"
        text += "on every node: copy \(output) there and run install.sh (idempotent; it installs into \(config.nodeDirectory))\n"
        if !config.configPathSnippet.isEmpty {
            text += "containerd's config.toml needs (install.sh adds it when missing):\n" + config.configPathSnippet
        }
        print(TerminalText.escaped(text))
    }
}
