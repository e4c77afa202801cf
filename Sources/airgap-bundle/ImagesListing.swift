import ChartResolution
import Terminal

/// The text listing of `images`: each component with its chart, then its images and where each
/// was found, or `FAILED: reason`. Names, sources and reasons come from charts, so anything that
/// could drive a terminal is escaped.
enum ImagesListing {
    static func print(_ results: [ComponentImages]) {
        for result in results {
            let guessed = result.guessed && result.error == nil ? " — GUESSED, not rendered" : ""
            Swift.print(TerminalText.escaped("\(result.name) (chart \(result.chart))\(guessed)"))
            if let error = result.error {
                let lines = TerminalText.escaped(error).split(separator: "\n", omittingEmptySubsequences: false)
                Swift.print("  FAILED: " + lines.joined(separator: "\n          "))
                continue
            }
            for image in result.images {
                Swift.print("  \(TerminalText.escaped(image.reference))\(image.testOnly ? "  [test only]" : "")")
                for source in image.sources { Swift.print("      from \(TerminalText.escaped(source, keepNewlines: false))") }
            }
        }
    }
}
