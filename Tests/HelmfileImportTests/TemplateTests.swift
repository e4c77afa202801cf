import Testing

@testable import HelmfileImport

/// The Go-template subset, function by function, against what Go's text/template, Sprig and
/// helmfile give for the same input. Each expected value says where it comes from.
@Suite("Helmfile templates: Go template semantics for the constructs helmfiles use")
struct TemplateTests {
    /// `.Values` as helmfile builds it from `values`, with environment "prod" and release "web".
    func render(_ template: String, values: String = "{}", siteValues: Set<String> = []) throws -> String {
        var parsed = try YAMLValues(file: "values.yaml").read(values)
        for name in siteValues {
            parsed = ValuesMerge.replacing(name.split(separator: ".").map(String.init), in: parsed, with: .siteValue(.init(name: name)))!
        }
        let root = TemplateValue.map([
            ("Values", parsed), ("Environment", .map([("Name", .string("prod")), ("Values", parsed)])),
            ("Release", .map([("Name", .string("web")), ("Namespace", .string("apps"))])),
        ])
        return try TemplateEvaluator.render(template, file: "t.gotmpl", root: root)
    }

    func failure(_ template: String, values: String = "{}", siteValues: Set<String> = []) -> String {
        do {
            _ = try render(template, values: values, siteValues: siteValues)
            return "no error"
        } catch { return "\(error)" }
    }

    @Test func fieldsAndBuiltInObjects() throws {
        // .Values / .Environment.Values are the environment's values; .Environment.Name the -e name; .Release.Name the release.
        #expect(try render("{{ .Values.a.b }}-{{ .Environment.Name }}-{{ .Release.Name }}", values: "a: {b: x}") == "x-prod-web")
        #expect(try render("{{ .Environment.Values.a.b }}", values: "a: {b: 3}") == "3")
        // text/template prints a nil value as "<no value>".
        #expect(try render("[{{ .Values.a }}]", values: "a:") == "[<no value>]")
        // helmfile runs templates with missingkey=error: a missing key fails, naming it.
        #expect(failure("x\n{{ .Values.missing }}") == "t.gotmpl:2: .Values has no key \"missing\" (.Values.missing is not set)")
        // A field of nil fails in Go ("nil pointer evaluating interface {}.b").
        #expect(failure("{{ .Values.a.b }}", values: "a:").contains("nil pointer"))
        // fmt's %v of a map and a list: map[k:v] sorted by key, [a b].
        let printed = try render("{{ .Values.m }} {{ .Values.l }}", values: "m: {b: 2, a: 1}\nl: [x, z]")
        #expect(printed == "map[a:1 b:2] [x z]")
    }

    @Test func defaultQuoteSquoteRequired() throws {
        // Sprig default: the given value unless it is empty (nil, "", 0, false, empty list/map).
        #expect(
            try render(#"{{ .Values.a | default "d" }} {{ .Values.b | default "d" }} {{ .Values.c | default 5 }}"#, values: "a: x\nb: ''\nc: 0")
                == "x d 5")
        // Sprig quote: Go's %q of each non-nil argument; nil gives nothing.
        #expect(
            try render(#"{{ .Values.a | quote }} [{{ .Values.n | quote }}] {{ quote "a\"b" }}"#, values: "a: 1800000\nn:") == #""1800000" [] "a\"b""#)
        // Sprig squote: the value in single quotes, no escaping.
        #expect(try render("{{ .Values.a | squote }}", values: "a: it") == "'it'")
        // helmfile's required: fails with the message when the value is nil or "".
        #expect(try render(#"{{ required "need a" .Values.a }}"#, values: "a: ok") == "ok")
        #expect(failure(#"{{ .Values.a | required "a is needed" }}"#, values: "a: ''") == "t.gotmpl:1: required: a is needed")
    }

    @Test func conditionsAndRange() throws {
        // if / else if / else: the first true branch; Go's truth: "", 0, nil, false and empty are false.
        let chain = "{{ if .Values.a }}A{{ else if .Values.b }}B{{ else }}C{{ end }}"
        #expect(try render(chain, values: "a: x\nb: y") == "A")
        #expect(try render(chain, values: "a: ''\nb: y") == "B")
        #expect(try render(chain, values: "a: 0\nb: false") == "C")
        // range over a list (index, element) and over a map in sorted key order; else when empty.
        #expect(try render("{{ range $i, $v := .Values.l }}{{ $i }}={{ $v }};{{ end }}", values: "l: [a, b]") == "0=a;1=b;")
        #expect(try render("{{ range $k, $v := .Values.m }}{{ $k }}:{{ . }},{{ end }}", values: "m: {z: 1, a: 2}") == "a:2,z:1,")
        #expect(try render("{{ range .Values.l }}x{{ else }}empty{{ end }}", values: "l: []") == "empty")
        // Trim markers drop the white space beside them: "{{- " before, " -}}" after.
        #expect(try render("a  \n  {{- .Values.x -}}  \n b", values: "x: X") == "aXb")
        // eq, ne, not, and, or as Go defines them (and/or return the deciding argument).
        #expect(
            try render(#"{{ if eq .Environment.Name "prod" }}p{{ end }}{{ if not .Values.f }}n{{ end }}{{ or .Values.f "o" }}"#, values: "f: false")
                == "pno")
    }

    @Test func yamlAndStringFunctions() throws {
        // helmfile's toYaml is go-yaml's Marshal: keys sorted, lists under a key not indented, trailing newline.
        #expect(try render("{{ toYaml .Values }}", values: "b: [1, x]\na: {c: 'yes'}") == "a:\n  c: \"yes\"\nb:\n- 1\n- x\n")
        // Sprig nindent: a newline, then every line indented (indent without the newline).
        #expect(try render("k:{{ .Values.m | toYaml | nindent 2 }}", values: "m: {a: 1}") == "k:\n  a: 1\n  ")
        #expect(try render(#"{{ indent 3 "a\nb" }}"#) == "   a\n   b")
        // Sprig trim (strings.TrimSpace), lower, upper.
        #expect(try render(#"[{{ trim "  x y \n" }}] {{ lower "AbC" }} {{ upper "AbC" }}"#) == "[x y] abc ABC")
        // Go's fmt.Sprintf: %s %d %v %q %%.
        #expect(try render(#"{{ printf "%s:%d %v %q 100%%" "a" 8080 .Values.l "q" }}"#, values: "l: [1, 2]") == #"a:8080 [1 2] "q" 100%"#)
    }

    @Test func siteValuesArePrintedForTheSite() throws {
        // A site value prints as the template our values files take, with its default and quote.
        let text = #"a: "{{ .Values.ip }}" b: {{ .Values.ip | default "1.2.3.4" | quote }} c: {{ .Values.ip | quote }}"#
        #expect(
            try render(text, values: "ip:", siteValues: ["ip"])
                == #"a: "{{ .Values.ip }}" b: {{ .Values.ip | default "1.2.3.4" | quote }} c: {{ .Values.ip | quote }}"#)
        // toYaml writes it as a quoted template, and reading that YAML back gives the site value again.
        let yaml = try render("{{ toYaml .Values }}", values: "ip:", siteValues: ["ip"])
        #expect(yaml == "ip: \"{{ .Values.ip }}\"\n")
        #expect(try YAMLValues(file: "x", siteValues: ["ip"]).read(yaml)["ip"] == .siteValue(.init(name: "ip")))
        // The import cannot choose a branch or compute with a value only the site knows.
        #expect(failure("{{ if .Values.ip }}x{{ end }}", values: "ip: a", siteValues: ["ip"]).contains("site value ip decides an if"))
        #expect(failure("{{ upper .Values.ip }}", values: "ip: a", siteValues: ["ip"]).contains("not passed to upper"))
    }

    @Test func anythingElseIsAnErrorNamingFileLineAndConstruct() {
        #expect(failure("a\nb {{ .Values | get \"x\" }}").hasPrefix("t.gotmpl:2: function \"get\" is not supported"))
        #expect(failure("{{ with .Values }}x{{ end }}") == "t.gotmpl:1: {{ with }} is not supported by import-helmfile")
        #expect(failure("{{ $x := 1 }}") == "t.gotmpl:1: variables ($x := …) are supported only in range")
        #expect(failure("\n\n{{ printf \"%5d\" 1 }}").hasPrefix("t.gotmpl:3: printf verb %5 is not supported"))
        #expect(failure("{{ if .Values }}x") == "t.gotmpl:1: {{ if }} without {{ end }}")
        #expect(failure("x {{ .Values") == "t.gotmpl:1: unclosed action: {{ without }}")
    }
}
