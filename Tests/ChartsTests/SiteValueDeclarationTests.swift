import ChartFormat
import Charts
import Foundation
import TestSupport
import Testing
import Yams

@Suite("Site values in the manifest and values templates: declarations, forms, errors with file and line")
struct SiteValueDeclarationTests {
    let dir: String
    init() throws {
        dir = try TestPaths.scratch("site-values")
        try FileManager.default.createDirectory(atPath: dir + "/charts/local", withIntermediateDirectories: true)
        try "apiVersion: v2\nname: local\nversion: 0.1.0\n".write(toFile: dir + "/charts/local/Chart.yaml", atomically: true, encoding: .utf8)
    }

    func manifest(siteValues: String, values: String) throws -> BundleManifest {
        try values.write(toFile: dir + "/v.yaml", atomically: true, encoding: .utf8)
        let text = """
            apiVersion: airgap.astrago.io/v1
            kind: Bundle
            metadata: {name: t, version: 1.0.0}
            \(siteValues)
            components:
              - {name: app, namespace: app, chart: {path: charts/local}, values: [v.yaml]}
            """
        return try ManifestParser.parse(text, file: dir + "/m.yaml")
    }

    func error(siteValues: String, values: String = "a: 1\n") -> ManifestError? {
        do { _ = try manifest(siteValues: siteValues, values: values); return nil } catch let error as ManifestError { return error } catch {
            return nil
        }
    }

    @Test func theRealManifestDeclaresEverySiteValueItsValuesUse() throws {
        let parsed = try ManifestParser.load(TestPaths.repository + "/manifests/astrago.yaml")
        let names = Set(parsed.siteValues.map(\.name))
        for needed in ["externalIP", "nfs.server", "nfs.basePath", "keycloak.adminPassword", "grafana.adminPassword", "astrago.mariadb.password"] {
            #expect(names.contains(needed), "\(needed)")
        }
        let secrets = Set(parsed.siteValues.filter(\.secret).map(\.name))
        #expect(secrets.isSuperset(of: ["keycloak.adminPassword", "grafana.adminPassword", "keycloak.dbPassword", "astrago.mariadb.password"]))
        #expect(parsed.siteValues.first { $0.name == "prometheus.retention" }?.defaultValue == "15d")
        // No placeholder is left in the values files: every site setting is a template.
        for component in parsed.components {
            for file in component.values {
                let text = try String(contentsOfFile: file, encoding: .utf8)
                #expect(!text.contains("CHANGE_ME") && !text.contains("EXAMPLE"), "\(file)")
            }
        }
        let nfs = try String(contentsOfFile: TestPaths.repository + "/manifests/values/csi-driver-nfs.yaml", encoding: .utf8)
        #expect(nfs.contains("server: \"{{ .Values.nfs.server }}\""))
    }

    @Test func parsesDeclarationsInOrder() throws {
        let parsed = try manifest(
            siteValues: """
                siteValues:
                  nfs.server: {description: NFS server, type: string, required: true}
                  replicas: {description: Replicas, type: int, default: 2}
                  debug: {description: Debug logs, type: bool, default: false}
                  db.password: {description: DB password, required: true, secret: true}
                """, values: "server: \"{{ .Values.nfs.server }}\"\nreplicas: {{ .Values.replicas }}\n")
        #expect(parsed.siteValues.map(\.name) == ["nfs.server", "replicas", "debug", "db.password"])
        #expect(parsed.siteValues[1].type == .int && parsed.siteValues[1].defaultValue == "2")
        #expect(parsed.siteValues[3].secret && parsed.siteValues[3].required && parsed.siteValues[3].type == .string)
    }

    @Test func declarationErrorsNameFileLineAndColumn() {
        let badType = error(siteValues: "siteValues:\n  x: {description: X, type: float}")
        #expect(badType?.line == 5 && badType?.message.contains("not string, int or bool") == true, "\(String(describing: badType))")
        let typo = error(siteValues: "siteValues:\n  x: {description: X, requird: true}")
        #expect(typo?.hint == "did you mean \"required\"?", "\(String(describing: typo))")
        let both = error(siteValues: "siteValues:\n  x: {description: X, required: true, default: a}")
        #expect(both?.message.contains("required and has a default") == true)
        let secretDefault = error(siteValues: "siteValues:\n  x: {description: X, secret: true, default: a}")
        #expect(secretDefault?.message.contains("secret and has a default") == true)
        let wrongDefault = error(siteValues: "siteValues:\n  x: {description: X, type: int, default: ten}")
        #expect(wrongDefault?.message.contains("is not a int") == true)
        let overlap = error(siteValues: "siteValues:\n  nfs: {description: A}\n  nfs.server: {description: B}")
        #expect(overlap?.message.contains("overlaps") == true && overlap?.line == 6, "\(String(describing: overlap))")
        let badName = error(siteValues: "siteValues:\n  \"nfs..server\": {description: A}")
        #expect(badName?.message.contains("not a dotted path") == true)
        let noDescription = error(siteValues: "siteValues:\n  x: {type: string}")
        #expect(noDescription?.message.contains("missing \"description\"") == true)
    }

    @Test func valuesFilesMayOnlyUseDeclaredValuesInSupportedForms() {
        let undeclared = error(siteValues: "siteValues:\n  a: {description: A}", values: "x: 1\ny: \"{{ .Values.b }}\"\n")
        #expect(undeclared?.file == dir + "/v.yaml" && undeclared?.line == 2 && undeclared?.column == 5, "\(String(describing: undeclared))")
        #expect(undeclared?.message.contains("b is not a declared site value") == true)
        let unsupported = error(siteValues: "siteValues:\n  a: {description: A}", values: "x: 1\n\ny: \"{{ .Values.a | upper }}\"\n")
        #expect(unsupported?.file == dir + "/v.yaml" && unsupported?.line == 3, "\(String(describing: unsupported))")
        #expect(unsupported?.message.contains("| upper") == true)
        let range = error(siteValues: "siteValues:\n  a: {description: A}", values: "{{ range .Values.list }}\n")
        #expect(range?.line == 1 && range?.message.contains("not a supported template") == true)
    }

    @Test func rendersTheThreeFormsAndRefusesTheRest() throws {
        let values = ["nfs.server": "10.0.0.5", "pw": #"a"b\c"#]
        let lookup: (String) -> String? = { values[$0] }
        #expect(try ValuesTemplate.render("s: {{ .Values.nfs.server }}\n", file: "f", lookup: lookup) == "s: \"10.0.0.5\"\n")
        #expect(try ValuesTemplate.render("# semver {{version}}\ns: 1\n", file: "f", lookup: lookup) == "# semver {{version}}\ns: 1\n")
        #expect(try ValuesTemplate.render("s: {{ .Values.r | default \"15d\" }}", file: "f", lookup: lookup) == "s: \"15d\"")
        #expect(try ValuesTemplate.render("s: {{ .Values.r | default 3 }}", file: "f", lookup: lookup) == "s: 3")
        #expect(try ValuesTemplate.render("p: {{ .Values.pw | quote }}", file: "f", lookup: lookup) == #"p: "a\"b\\c""#)
        #expect(try ValuesTemplate.render("p: {{ .Values.r | default \"x\" | quote }}", file: "f", lookup: lookup) == #"p: "x""#)
        // Inside a double-quoted scalar the value is escaped for it.
        #expect(try ValuesTemplate.render(#"p: "{{ .Values.pw }}""#, file: "f", lookup: lookup) == #"p: "a\"b\\c""#)
        #expect(try ValuesTemplate.render(#"u: "http://{{ .Values.nfs.server }}:80""#, file: "f", lookup: lookup) == #"u: "http://10.0.0.5:80""#)
        for bad in ["{{ .Values.a | upper }}", "{{- .Values.a }}", "{{ .Release.Name }}", "{{ .Values.a | default x }}", "{{ .Values.a", "{{ $x }}"] {
            #expect(throws: ValuesTemplateError.self, "\(bad)") { try ValuesTemplate.render("x: 1\n" + bad, file: "f", lookup: lookup) }
        }
        do {
            _ = try ValuesTemplate.render("a: 1\nb: {{ .Values.missing }}\n", file: "v.yaml", lookup: lookup)
            Issue.record("a value that is not set rendered")
        } catch let error as ValuesTemplateError {
            #expect(error.description == "v.yaml:2: site value \"missing\" is not set and the template gives no default")
        }
    }

    @Test func formsNoEscapingCanKeepOneStringAreRefusedAtBuildNamingFileAndLine() {
        let declared = "siteValues:\n  a: {description: A}"
        let cases: [(values: String, line: Int, reason: String)] = [
            ("x: 1\nurl: http://{{ .Values.a }}:80\n", 2, "part of an unquoted scalar"),
            ("x: 1\ny: 2\nq: 'pre {{ .Values.a }}'\n", 3, "single-quoted scalar"),
            ("x: |\n  line {{ .Values.a }}\n", 2, "block scalar"),
            ("x: >-\n  {{ .Values.a }}\n", 2, "block scalar"),
            ("x: \"{{ .Values.a | quote }}\"\n", 1, "| quote inside a double-quoted scalar"),
            ("x: {{ .Values.a }}tail\n", 1, "part of an unquoted scalar"),
        ]
        for (values, line, reason) in cases {
            let refused = error(siteValues: declared, values: values)
            #expect(refused?.file == dir + "/v.yaml" && refused?.line == line, "\(values): \(String(describing: refused))")
            #expect(refused?.message.contains(reason) == true, "\(values): \(String(describing: refused))")
        }
        // A quoted scalar over several lines, comments and flow collections are known.
        let accepted = "x: \"a\n  b {{ .Values.a }}\"\n# url: http://{{ .Values.a }}\ny: [1, {{ .Values.a }}]\nz: 1 # {{ nonsense }}\n"
        #expect(error(siteValues: declared, values: accepted) == nil)
    }

    /// Every hostile value, in every form the template accepts, reads back from the rendered YAML
    /// as exactly the string given (Helm's own reading of the same text: SiteValueLandingTests).
    @Test(arguments: ValuesTemplateHostileValues.all)
    func everyValueReadsBackAsExactlyTheStringGiven(value: String) throws {
        let template = """
            whole: {{ .Values.v }}
            quoted: "{{ .Values.v }}"
            partial: "http://{{ .Values.v }}:80/x"
            piped: {{ .Values.v | quote }}
            flow: {a: {{ .Values.v }}, b: "[{{ .Values.v }}]"}
            list:
              - {{ .Values.v }}
            after: end
            """
        let rendered = try ValuesTemplate.render(template, file: "v.yaml") { $0 == "v" ? value : nil }
        let node = try #require(try BoundedYAML.compose(rendered, limits: .chartValues))
        let top = try #require(node.mapping)
        #expect(top.keys.compactMap(\.string) == ["whole", "quoted", "partial", "piped", "flow", "list", "after"], "\(rendered)")
        #expect(top["whole"]?.scalar?.string == value && top["quoted"]?.scalar?.string == value, "\(rendered)")
        #expect(top["partial"]?.scalar?.string == "http://" + value + ":80/x" && top["piped"]?.scalar?.string == value)
        #expect(top["flow"]?.mapping?["a"]?.scalar?.string == value && top["flow"]?.mapping?["b"]?.scalar?.string == "[" + value + "]")
        #expect(top["list"]?.sequence?.first?.scalar?.string == value && top["after"]?.scalar?.string == "end")
    }
}

/// Values that break a naive insertion: quotes, backslashes, newlines that would start a key,
/// `: ` and `#`, YAML indicators at the start, line separators YAML folds, control characters.
enum ValuesTemplateHostileValues {
    static let all = [
        #"pass"word"#, #"back\slash\"#, "line1\nevil: injected", "two\n\nlines\n", "key: value", "x # not a comment", "*alias",
        "&anchor x", "!tag x", "- item", "? key", "{a: 1}", "[1, 2]", "'single'", "\"", "%directive", "@at", "`tick", "|", ">",
        "tab\there", "cr\rlf", "nul\u{0}byte", "bell\u{7}", "del\u{7f}", "next\u{85}line", "sep\u{2028}para\u{2029}", "\u{feff}bom",
        " leading and trailing ", "", "~", "null", "yes", "0755", "1.10", "1e3", "한국어 값", "emoji 🚀",
    ]
}
