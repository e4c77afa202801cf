import Foundation
import Terminal
import Testing

/// The layout of setup's live table and progress bar, without a screen: at 80 columns every
/// line is at most 79 characters (so a terminal never wraps it), however long a name or an event.
@Suite("setup's table and progress bar fit the terminal")
struct TerminalLayoutTests {
    @Test func tableRowsAreCutToTheWidthAndKeepTheirColumns() {
        let table = LiveTable(
            rows: ["csi-driver-nfs", "gpu-operator", "a-component-with-a-name-far-longer-than-any-column"], initialState: "waiting",
            session: TerminalSession(environment: ["TERM": "dumb"]))
        let event = "Error: UPGRADE FAILED: " + String(repeating: "context deadline exceeded while waiting for pods; ", count: 8)
        table.update("gpu-operator", state: "failed", style: .red, detail: event, phase: .done)
        table.update("csi-driver-nfs", state: "waiting for workloads", style: .yellow, detail: "installed in 2.0 s", phase: .running)
        for width in [80, 60, 132] {
            let lines = table.lines(width: width)
            #expect(lines.count == 4)
            for line in lines { #expect(line.count <= width - 1, "\(width): \(line)") }
            #expect(lines[0].hasPrefix("COMPONENT "))
            #expect(lines[1].hasPrefix("csi-driver-nfs ") && lines[1].contains(" waiting for workloads "))
            #expect(lines[2].hasPrefix("gpu-operator ") && lines[2].contains(" failed ") && lines[2].hasSuffix("…"))
            #expect(lines[3].hasPrefix("a-component-with-a-name-") && lines[3].contains(" waiting "))
        }
    }

    @Test func theProgressBarShowsBytesRateAndTimeLeftWithinTheWidth() {
        let line = ProgressBar.render(label: "pushing", total: 10_000_000_000, done: 2_500_000_000, seconds: 50, width: 80)
        #expect(line.count <= 79, "\(line)")
        #expect(line.contains(" 25%  2.50 GB / 10.0 GB  50.0 MB/s  2:30 left"), "\(line)")
        #expect(ProgressBar.render(label: "verifying", total: 100, done: 100, seconds: 1, width: 40).count <= 39)
        #expect(ProgressBar.clock(3723) == "1:02:03" && ProgressBar.clock(17) == "0:17")
    }
}
