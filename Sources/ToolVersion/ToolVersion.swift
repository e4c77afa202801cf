/// The one source of the tools' version: `--version` of both executables and the `builder`
/// recorded in every `bundle.json`.
public enum ToolVersion {
    /// The release version of `airgap-bundle` and `airgap-install`.
    public static let version = "0.2.0"
    /// The git commit the binaries were built from (`unknown` outside a checkout; `-dirty` with
    /// uncommitted changes).
    public static let commit = GitCommit.hash
    /// What `--version` prints.
    public static var description: String { "\(version) (commit \(commit))" }
}
