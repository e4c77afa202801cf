import Yams

/// Yams' `Mark` (line and column) for nodes the bounded composer makes: Yams gives `Mark` no
/// public initializer, so one is made from its two stored integers, after checking once against
/// a mark Yams made itself that the layout is what we expect (otherwise nodes carry no mark, and
/// messages name no line, rather than a wrong one).
enum YAMLMark {
    private static let layoutMatches: Bool = {
        guard MemoryLayout<Mark>.size == MemoryLayout<(Int, Int)>.size, let probe = try? Yams.compose(yaml: "\n\n   x")?.mark else {
            return false
        }
        let made = unsafeBitCast((probe.line, probe.column), to: Mark.self)
        return made.line == 3 && made.column == 4 && probe.line == 3 && probe.column == 4
    }()

    static func make(line: Int, column: Int) -> Mark? {
        layoutMatches ? unsafeBitCast((line, column), to: Mark.self) : nil
    }
}
