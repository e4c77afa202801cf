import Bundle
import Install
import OCI

/// What every node needs so its container runtime pulls the bundle's images through `serve`
/// (and, after push, from the site registry first with `serve` as the fallback): the files, by
/// path relative to the output folder, and an idempotent script that installs them.
public struct NodeConfig: Sendable {
    public enum Runtime: String, Sendable, CaseIterable {
        case containerd, containerd2, crio
    }

    public struct Options: Sendable {
        public var runtime: Runtime
        /// The bundle server, `http://ADDR:PORT` or `https://ADDR:PORT`.
        public var serve: String
        public var site: ServedRepositories.SiteName?
        /// The site registry speaks plain HTTP.
        public var plainHTTP: Bool
        /// Where the CA of the HTTPS endpoints will be on each node (installed there by the script).
        public var caPath: String?
        public var afterPush: Bool

        public init(
            runtime: Runtime, serve: String, site: ServedRepositories.SiteName?, plainHTTP: Bool, caPath: String?, afterPush: Bool
        ) {
            self.runtime = runtime
            self.serve = serve
            self.site = site
            self.plainHTTP = plainHTTP
            self.caPath = caPath
            self.afterPush = afterPush
        }
    }

    /// Relative path → content.
    public private(set) var files: [(path: String, content: String)] = []
    /// The line(s) containerd's config.toml needs (empty for CRI-O).
    public private(set) var configPathSnippet = ""
    /// Where the runtime reads the files on a node.
    public let nodeDirectory: String

    /// The hosts directory containerd reads on every node (its `config_path`).
    public static let containerdHostsDirectory = "/etc/containerd/certs.d"
    public static let crioDropInDirectory = "/etc/containers/registries.conf.d"

    public init(index: BundleIndex, options: Options) throws(ServeError) {
        let repositories = try ServedRepositories(index: index, site: options.site)
        let clashing = Self.clashingHosts(index)
        let label = "\(index.name) \(index.version)"
        switch options.runtime {
        case .containerd, .containerd2:
            nodeDirectory = Self.containerdHostsDirectory
            for host in repositories.upstreamHosts {
                files.append((host + "/hosts.toml", Self.hostsFile(upstream: host, clash: clashing.contains(host), options: options, label: label)))
            }
            if let site = options.site {
                files.append((site.registry + "/hosts.toml", Self.siteHostsFile(site, options: options, label: label)))
            }
            let table =
                options.runtime == .containerd
                ? #"[plugins."io.containerd.grpc.v1.cri".registry]"# : #"[plugins."io.containerd.cri.v1.images".registry]"#
            configPathSnippet = "\(table)\n  config_path = \"\(Self.containerdHostsDirectory)\"\n"
            files.append(("config_path.toml", configPathSnippet))
            files.append(("install.sh", Self.containerdScript(files.map(\.path).filter { $0.hasSuffix("/hosts.toml") }, table: table)))
        case .crio:
            nodeDirectory = Self.crioDropInDirectory
            let name = "50-airgap-\(index.name).conf"
            files.append(
                (name, Self.crioDropIn(upstream: repositories.upstreamHosts, clashing: clashing, options: options, label: label)))
            var tlsHosts: [String] = []
            if options.serve.hasPrefix("https://") { tlsHosts.append(Self.hostPort(options.serve)) }
            if let site = options.site, !options.plainHTTP { tlsHosts.append(site.registry) }
            files.append(("install.sh", Self.crioScript(name, tlsHosts: tlsHosts)))
        }
    }

    /// Upstream registries whose repository paths clash with another's: in the site registry,
    /// their images keep the registry as a path component (RelocationPlan's rule).
    static func clashingHosts(_ index: BundleIndex) -> Set<String> {
        let references = index.images.compactMap { try? ImageReference(parsing: $0.reference) }
        var registries: [String: Set<String>] = [:]
        for reference in references { registries[reference.repository, default: []].insert(reference.registry) }
        return Set(references.filter { (registries[$0.repository]?.count ?? 0) > 1 }.map(\.registry))
    }

    private static func siteURL(_ site: ServedRepositories.SiteName, _ options: Options) -> String {
        (options.plainHTTP ? "http://" : "https://") + site.registry
    }

    private static func hostTable(_ url: String, options: Options, overridePath: Bool = false) -> String {
        var lines = ["[host.\"\(url)\"]", "  capabilities = [\"pull\", \"resolve\"]"]
        if overridePath { lines.append("  override_path = true") }
        if let ca = options.caPath, url.hasPrefix("https://") { lines.append("  ca = \"\(ca)\"") }
        return lines.joined(separator: "\n") + "\n"
    }

    static func hostsFile(upstream host: String, clash: Bool, options: Options, label: String) -> String {
        var text = """
            # Written by airgap-install node-config for \(label).
            # Pulls of \(host)/... \(options.afterPush ? "go to the site registry first, then to the bundle server" : "go to the bundle server"); \
            never to \(host) itself.
            server = "\(options.serve)"


            """
        if options.afterPush, let site = options.site {
            let root = siteURL(site, options) + "/v2/" + site.project
            if clash { text += hostTable(root + "/" + RelocationPlan.pathComponent(forRegistry: host), options: options, overridePath: true) + "\n" }
            text += hostTable(root, options: options, overridePath: true) + "\n"
        }
        return text + hostTable(options.serve, options: options)
    }

    static func siteHostsFile(_ site: ServedRepositories.SiteName, options: Options, label: String) -> String {
        let registry = siteURL(site, options)
        var text = """
            # Written by airgap-install node-config for \(label).
            # Pulls of \(site.registry)/\(site.project)/... \(options.afterPush ? "go to the site registry, then to the bundle server" : "go to the bundle server until push is done").
            server = "\(registry)"


            """
        if options.afterPush { text += hostTable(registry, options: options) + "\n" }
        return text + hostTable(options.serve, options: options)
    }

    static func crioDropIn(upstream: [String], clashing: Set<String>, options: Options, label: String) -> String {
        let serve = options.serve.replacingOccurrences(of: "http://", with: "").replacingOccurrences(of: "https://", with: "")
        let serveInsecure = options.serve.hasPrefix("http://")
        func mirror(_ location: String, insecure: Bool) -> String {
            "[[registry.mirror]]\nlocation = \"\(location)\"\ninsecure = \(insecure)\n"
        }
        var text = "# Written by airgap-install node-config for \(label).\n\n"
        for host in upstream {
            text += "[[registry]]\nprefix = \"\(host)\"\nlocation = \"\(host)\"\n\n"
            if options.afterPush, let site = options.site {
                let root = site.registry + "/" + site.project
                if clashing.contains(host) {
                    text += mirror(root + "/" + RelocationPlan.pathComponent(forRegistry: host), insecure: options.plainHTTP) + "\n"
                }
                text += mirror(root, insecure: options.plainHTTP) + "\n"
            }
            text += mirror(serve + "/" + RelocationPlan.pathComponent(forRegistry: host), insecure: serveInsecure) + "\n"
        }
        if let site = options.site {
            let prefix = site.registry + "/" + site.project
            text += "[[registry]]\nprefix = \"\(prefix)\"\nlocation = \"\(prefix)\"\ninsecure = \(options.plainHTTP)\n\n"
            if options.afterPush { text += mirror(prefix, insecure: options.plainHTTP) + "\n" }
            text += mirror(serve + "/" + site.project, insecure: serveInsecure)
        }
        return text
    }

    static func containerdScript(_ hostsFiles: [String], table: String) -> String {
        let copies = hostsFiles.map { path in
            let host = String(path.dropLast("/hosts.toml".count))
            return "install -d -m 0755 \"$HOSTS_DIR/\(host)\"\ninstall -m 0644 \"$HERE/\(path)\" \"$HOSTS_DIR/\(path)\""
        }
        return """
            #!/bin/sh
            # Installs the bundle server's mirror configuration for containerd on this node. Safe to run
            # again: it copies the hosts.toml files (containerd reads them at every pull: no restart, no
            # pod restarted) and adds config_path to containerd's config only when it is missing.
            set -eu
            HERE=$(cd "$(dirname "$0")" && pwd)
            HOSTS_DIR=${HOSTS_DIR:-\(containerdHostsDirectory)}
            CONFIG=${CONTAINERD_CONFIG:-/etc/containerd/config.toml}
            \(copies.joined(separator: "\n"))
            for ca in "$HERE"/airgap-*-ca.crt; do [ -f "$ca" ] || continue; install -m 0644 "$ca" "$HOSTS_DIR/"; done
            if grep -q "config_path *= *\\"$HOSTS_DIR\\"" "$CONFIG" 2>/dev/null; then
              echo "containerd already reads $HOSTS_DIR"
            elif grep -qF '\(table)' "$CONFIG" 2>/dev/null || grep -q 'config_path' "$CONFIG" 2>/dev/null; then
              echo "$CONFIG has a registry section already: set config_path = \\"$HOSTS_DIR\\" in it (see config_path.toml), then restart containerd" >&2
              exit 1
            else
              printf '\\n%s\\n' "$(sed "s#\(containerdHostsDirectory)#$HOSTS_DIR#" "$HERE/config_path.toml")" >> "$CONFIG"
              echo "added config_path to $CONFIG: restart containerd once (systemctl restart containerd); running pods keep running"
            fi
            echo "installed: $HOSTS_DIR"

            """
    }

    /// `https://10.0.0.5:5443` → `10.0.0.5:5443`.
    static func hostPort(_ url: String) -> String {
        String(url.drop { $0 != "/" }.drop { $0 == "/" })
    }

    static func crioScript(_ name: String, tlsHosts: [String]) -> String {
        let certificates = tlsHosts.map { host in
            "for ca in \"$HERE\"/airgap-*-ca.crt; do [ -f \"$ca\" ] || continue; install -d -m 0755 \"/etc/containers/certs.d/\(host)\"; "
                + "install -m 0644 \"$ca\" \"/etc/containers/certs.d/\(host)/ca.crt\"; done"
        }
        return """
            #!/bin/sh
            # Installs the bundle server's mirror configuration for CRI-O on this node. Safe to run again.
            set -eu
            HERE=$(cd "$(dirname "$0")" && pwd)
            DROP_IN_DIR=${DROP_IN_DIR:-\(crioDropInDirectory)}
            install -d -m 0755 "$DROP_IN_DIR"
            install -m 0644 "$HERE/\(name)" "$DROP_IN_DIR/\(name)"
            \(certificates.joined(separator: "\n"))
            echo "installed: $DROP_IN_DIR/\(name) (CRI-O reads it at its next reload: systemctl reload crio)"

            """
    }
}
