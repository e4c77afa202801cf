import Foundation
import PackagePlugin

/// Writes `GitCommit.swift` with the commit the tool is built from (`unknown` outside a git
/// checkout, `-dirty` with uncommitted changes), so `--version` can name it. The file is
/// replaced only when its content changes, so an unchanged commit recompiles nothing.
@main
struct RecordGitCommit: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let generated = context.pluginWorkDirectoryURL.appending(path: "generated")
        let script = """
            set -u
            repo="$1"; dir="$2"; scratch="$3"
            mkdir -p "$dir"
            commit=$(git -C "$repo" rev-parse --short=12 HEAD 2>/dev/null) || commit=unknown
            if [ "$commit" != unknown ] && ! git -C "$repo" diff --quiet HEAD -- 2>/dev/null; then commit="$commit-dirty"; fi
            printf '/// Generated at build time by the RecordGitCommit plugin.\\nenum GitCommit {\\n    static let hash = "%s"\\n}\\n' "$commit" > "$scratch"
            cmp -s "$scratch" "$dir/GitCommit.swift" || mv "$scratch" "$dir/GitCommit.swift"
            rm -f "$scratch"
            """
        return [
            .prebuildCommand(
                displayName: "Recording the git commit for --version",
                executable: URL(fileURLWithPath: "/bin/sh"),
                arguments: [
                    "-c", script, "record-git-commit", context.package.directoryURL.path, generated.path,
                    context.pluginWorkDirectoryURL.appending(path: "GitCommit.swift.new").path,
                ],
                outputFilesDirectory: generated)
        ]
    }
}
