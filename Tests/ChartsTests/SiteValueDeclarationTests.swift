import ChartFormat
import ChartResolution
import Foundation
import Rendering
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

    @Test func typedValuesAreCheckedWithAReasonThatNeverQuotesTheValue() throws {
        let parsed = try manifest(
            siteValues: """
                siteValues:
                  ip: {description: An address, type: ip, required: true}
                  range: {description: Pods, type: cidr, default: 10.0.0.0/16}
                  host: {description: NFS, type: hostname, default: nfs.local}
                  port: {description: Port, type: port, default: 30002}
                  url: {description: URL, type: url, default: "https://harbor.site:443/x"}
                  dir: {description: Export, type: path, default: /export}
                  count: {description: Count, type: integer, default: 3}
                  on: {description: Switch, type: boolean, default: true}
                  size: {description: Size, type: enum, values: [small, large], default: small}
                  keep: {description: Retention, type: string, pattern: "[0-9]+d", message: "a number of days (15d)", default: 15d}
                """, values: "a: 1\n")
        let byName = Dictionary(uniqueKeysWithValues: parsed.siteValues.map { ($0.name, $0) })
        func problem(_ name: String, _ text: String) -> String? { byName[name]?.problem(with: text) }
        for (name, good, bad) in [
            ("ip", ["10.1.2.3", "::1", "fd00::5"], ["10.1.2", "10.1.2.300", "nfs.local", "1.2.3.4 "]),
            ("range", ["10.0.0.0/8", "fd00::/64"], ["10.0.0.0", "10.0.0.0/33", "fd00::/129", "10.0.0.0/+8"]),
            ("host", ["nfs.site.local", "10.1.2.3", "nfs", "a-b.c."], ["-nfs.local", "nfs..local", "nfs_server", "nfs local"]),
            ("port", ["1", "65535"], ["0", "65536", "x"]),
            ("url", ["http://10.1.2.3:30002", "https://harbor.site/path", "http://[::1]:8080"], ["harbor.site", "ftp://x", "http://"]),
            ("dir", ["/export/astrago"], ["export", "~/x"]),
            ("count", ["-2", "40"], ["4.5", "four"]),
            ("on", ["true", "false"], ["yes", "1"]),
            ("size", ["small", "large"], ["medium", "Small"]),
            ("keep", ["15d"], ["15", "15dd", "x15d"]),
        ] {
            for text in good { #expect(problem(name, text) == nil, "\(name) \(text)") }
            for text in bad {
                // The reason is the type's fixed expectation: it never depends on (or quotes) the value.
                let reason = problem(name, text)
                #expect(reason != nil && reason == byName[name]?.expectation, "\(name) \(text): \(String(describing: reason))")
            }
        }
        #expect(problem("ip", "x") == "an IP address (IPv4 such as 10.0.0.5, or IPv6)")
        #expect(problem("size", "x") == "one of: small, large")
        #expect(problem("keep", "x") == "a number of days (15d)")
        // An optional value may be given empty; a required one may not.
        #expect(problem("range", "") == nil)
        #expect(problem("ip", "") == "non-empty (it is required)")

        // The new fields are carried into the bundle's JSON, and old declarations encode as before.
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let old = SiteValueDeclaration(name: "a", description: "A", type: .int, required: false, defaultValue: "1", secret: false)
        #expect(
            String(decoding: try encoder.encode(old), as: UTF8.self)
                == #"{"default":"1","description":"A","name":"a","required":false,"secret":false,"type":"int"}"#)
        let decoded = try JSONDecoder().decode(SiteValueDeclaration.self, from: encoder.encode(byName["size"]!))
        #expect(decoded == byName["size"]!)

        let badEnum = error(siteValues: "siteValues:\n  x: {description: X, type: enum}")
        #expect(badEnum?.message.contains("an enum without values") == true, "\(String(describing: badEnum))")
        let patternOnIP = error(siteValues: "siteValues:\n  x: {description: X, type: ip, pattern: a}")
        #expect(patternOnIP?.message.contains("pattern of site value \"x\" is for type string only") == true)
        let badPattern = error(siteValues: "siteValues:\n  x: {description: X, pattern: \"(\"}")
        #expect(badPattern?.message.contains("is not a regular expression") == true)
        let badDefault = error(siteValues: "siteValues:\n  x: {description: X, type: ip, default: 10.1}")
        #expect(badDefault?.message.contains("the default of site value \"x\" is not an IP address") == true)
    }

    @Test func theRealManifestTypesEveryAstragoValue() throws {
        let parsed = try ManifestParser.load(TestPaths.repository + "/manifests/astrago.yaml")
        let types = Dictionary(uniqueKeysWithValues: parsed.siteValues.map { ($0.name, $0.type) })
        #expect(types["externalIP"] == .ip && types["nfs.server"] == .hostname && types["nfs.basePath"] == .path)
        let retention = try #require(parsed.siteValues.first { $0.name == "prometheus.retention" })
        #expect(retention.accepts("30d") && !retention.accepts("30 days"))
        let size = try #require(parsed.siteValues.first { $0.name == "prometheus.storageSize" })
        #expect(size.accepts("50Gi") && !size.accepts("50 GB"))
    }

    @Test func declarationErrorsNameFileLineAndColumn() {
        let badType = error(siteValues: "siteValues:\n  x: {description: X, type: float}")
        #expect(
            badType?.line == 5
                && badType?.message.contains("is not one of string, integer, boolean, ip, cidr, hostname, port, url, path, enum") == true,
            "\(String(describing: badType))")
        let typo = error(siteValues: "siteValues:\n  x: {description: X, requird: true}")
        #expect(typo?.hint == "did you mean \"required\"?", "\(String(describing: typo))")
        let both = error(siteValues: "siteValues:\n  x: {description: X, required: true, default: a}")
        #expect(both?.message.contains("required and has a default") == true)
        let secretDefault = error(siteValues: "siteValues:\n  x: {description: X, secret: true, default: a}")
        #expect(secretDefault?.message.contains("secret and has a default") == true)
        let wrongDefault = error(siteValues: "siteValues:\n  x: {description: X, type: int, default: ten}")
        #expect(wrongDefault?.message.contains("the default of site value \"x\" is not an integer") == true)
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
