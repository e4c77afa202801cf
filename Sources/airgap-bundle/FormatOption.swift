import ArgumentParser

/// `--format` of pack and build: which bundle format to write (docs/bundle-format.md).
struct FormatOption: ParsableArguments {
    @Option(
        name: .customLong("format"),
        help: ArgumentHelp(
            "Bundle format: 2 (zstd's seekable format, the default with zstd) or 1 (one zstd frame, for sites with older tools; the default with gzip or none).",
            valueName: "n"))
    var format: Int?

    func validate() throws {
        if let format, !(1...2).contains(format) { throw ValidationError("--format must be 1 or 2") }
    }
}
