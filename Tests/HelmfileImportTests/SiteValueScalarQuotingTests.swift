import ChartFormat
import Rendering
import Testing

@testable import HelmfileImport

/// A rendered helmfile values file with a site value inside a longer plain scalar is rewritten
/// so that our values template takes it (docs/manifest.md: inside a longer scalar only in double
/// quotes), and the site's value then lands as the string the plain scalar would have held.
@Suite("Helmfile import: plain scalars holding a site value are written double-quoted")
struct SiteValueScalarQuotingTests {
    @Test func partialPlainScalarsAreQuotedAndEverythingElseIsLeftAlone() {
        let rendered = """
            url: http://{{ .Values.ip }}:80/"x"\\y # a comment
            - - http://{{ .Values.ip }}
            whole: {{ .Values.ip }}
            quoted: "http://{{ .Values.ip }}"
            plain: no template here
            {{ .Values.key }}: http://{{ .Values.ip }}
            """
        let expected = """
            url: "http://{{ .Values.ip }}:80/\\"x\\"\\\\y" # a comment
            - - "http://{{ .Values.ip }}"
            whole: {{ .Values.ip }}
            quoted: "http://{{ .Values.ip }}"
            plain: no template here
            {{ .Values.key }}: http://{{ .Values.ip }}
            """
        #expect(SiteValueScalarQuoting.quoted(rendered) == expected)
    }

    @Test func aHostileSiteValueLandsAsTheStringGiven() throws {
        let quoted = SiteValueScalarQuoting.quoted("url: http://{{ .Values.ip }}:80/x\n")
        let hostile = "1.2.3.4\"\nevil: true # \\"
        let filled = try ValuesTemplate.render(quoted, file: "values.yaml") { _ in hostile }
        let document = try BoundedYAML.load(filled, limits: .siteValues) as? [String: Any]
        #expect(document?.keys.sorted() == ["url"], "\(filled)")
        #expect(document?["url"] as? String == "http://" + hostile + ":80/x", "\(filled)")
    }
}
