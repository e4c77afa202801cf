import ChartFormat
import TestSupport
import Testing
import Yams

/// The one bounded YAML reader, in process: what it keeps (lines, styles, merge keys, keys that
/// are collections) and what it refuses, by name of the limit.
@Suite("BoundedYAML: one reader, every limit named")
struct BoundedYAMLTests {
    static let limits = BoundedYAML.Limits.siteValues

    @Test func nodesKeepTheirLinesAndStyles() throws {
        let node = try #require(try BoundedYAML.compose("a: 1\nb:\n  c: \"x\"\n", limits: Self.limits))
        let b = try #require(node.mapping?["b"]?.mapping)
        #expect(b.keys.first?.mark?.line == 3 && b.keys.first?.mark?.column == 3)
        #expect(b["c"]?.scalar?.style == .doubleQuoted && b["c"]?.string == "x")
        #expect(node.mapping?["a"]?.int == 1, "tags resolve as Yams resolves them")
    }

    @Test func aRepeatedKeyIsRefusedByLineAndACollectionKeyIsKept() throws {
        #expect {
            try BoundedYAML.compose("a: 1\nb: 2\na: 3\n", limits: Self.limits)
        } throws: { error in
            "\(error)" == "it is not valid YAML (line 3): the key \"a\" is given twice in one mapping"
        }
        // An unrendered values template: `{{ .Values.x }}` is a flow mapping used as a key.
        let template = try #require(try BoundedYAML.load("level: {{ .Values.x | quote }}\n", limits: Self.limits) as? [String: Any])
        #expect(template.keys.sorted() == ["level"])
    }

    @Test func anAliasOfABombUsedAsAKeyStopsAtTheExpansionLimit() {
        let text = YAMLBombs.aliases(key: "b") + "? *l9\n: x\n"
        #expect {
            try BoundedYAML.compose(text, limits: Self.limits)
        } throws: { error in
            "\(error)" == "its YAML aliases expand to more than the limit of 100000 nodes"
        }
    }

    @Test func aLargeScalarRepeatedByAliasesStopsAtTheExpandedBytes() {
        let big = String(repeating: "x", count: 100_000)
        let text = "s: &s \"\(big)\"\nl: [" + Array(repeating: "*s", count: 100).joined(separator: ", ") + "]\n"
        #expect {
            try BoundedYAML.compose(text, limits: Self.limits)
        } throws: { error in
            "\(error)" == "its YAML aliases expand to more than the limit of \(4 << 20) bytes of text"
        }
    }
}
