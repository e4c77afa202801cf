import ArgumentParser
import Install

/// preflight's checks of the empty-site flow (issue 18): serve answers, node-config named this registry.
struct PreflightServeOptions: ParsableArguments {
    @Option(
        name: .customLong("serve"),
        help: ArgumentHelp(
            "Check that the bundle server answers GET /v2/ (from this host; --ca-file is trusted for it too).", valueName: "http(s)://addr:port"))
    var serve: String?

    @Option(
        name: .customLong("node-config"),
        help: ArgumentHelp(
            "Check that node-config wrote this folder for the site registry and project of relocation.json (and for --serve).",
            valueName: "dir"))
    var nodeConfig: String?

    /// The checks asked for, in that order; none without the options.
    func checks(relocation: RelocationMap, caFile: String?) async -> [Preflight.Check] {
        var checks: [Preflight.Check] = []
        if let serve { checks.append(await Preflight.serveCheck(serve, caFile: caFile)) }
        if let nodeConfig {
            checks.append(Preflight.nodeConfigCheck(nodeConfig, registry: relocation.registry, project: relocation.project, serve: serve))
        }
        return checks
    }
}
