import ChartResolution
import Foundation
import TestSupport
import Testing

/// A helmfile shaped like Astrago's (a root helmfile with environments whose values files merge
/// in order, helmDefaults, and one sub-helmfile per component that gets the root's values passed
/// down with `{{ toYaml .Values | nindent 4 }}` and renders a values.yaml.gotmpl), imported for
/// one environment; the manifest is then read by ManifestParser and `images` (real Helm through
/// the stand-in) as `lock` and `build` read it.
@Suite("import-helmfile on an Astrago-shaped helmfile", .serialized)
struct AstragoShapeTests {
    static func fixture() throws -> HelmfileFixture {
        let fixture = try HelmfileFixture("helmfile-astrago")
        try fixture.write(
            "helmfile.yaml",
            """
            environments:
              prod:
                values:
                - environments/common/values.yaml
                - environments/prod/values.yaml
              dev:
                values:
                - environments/common/values.yaml
            helmDefaults:
              wait: true
              waitForJobs: true
              timeout: 600
            helmfiles:
            - path: applications/storage/helmfile.yaml
              values:
              - {{ toYaml .Values | nindent 4 }}
            - path: applications/platform/helmfile.yaml
              values:
              - {{ toYaml .Values | nindent 4 }}
              - extra: {passed: "{{ .Environment.Name }}"}
            """)
        // common first, prod over it: prod's registry wins, common's theme stays (helmfile merges in order).
        try fixture.write(
            "environments/common/values.yaml", "registry: docker.io\ntheme: v1.1.5\nharbor: {enabled: false}\nnfs: {server: common.nfs}\n")
        try fixture.write(
            "environments/prod/values.yaml",
            "registry: quay.io\nexternalIP: 10.0.0.9\nnfs: {server: nfs.prod, basePath: /export}\nadmin: {password: s3cret}\n")
        try fixture.write(
            "applications/storage/helmfile.yaml",
            """
            releases:
            - name: nfs
              namespace: kube-system
              chart: nfs-chart
              labels: {app: nfs}
              values:
              - values.yaml.gotmpl
            - name: debug-tools
              namespace: kube-system
              chart: nfs-chart
              installed: {{ eq .Environment.Name "dev" }}
            """)
        try fixture.chart("applications/storage/nfs-chart", name: "nfs-chart")
        try fixture.write(
            "applications/storage/values.yaml.gotmpl",
            """
            image: "{{ .Values.registry }}/sig-storage/nfsplugin:v4.7.0"
            config:
              server: {{ .Values.nfs.server }}
              share: {{ .Values.nfs.basePath | quote }}
            """)
        try fixture.write(
            "applications/platform/helmfile.yaml",
            """
            releases:
            - name: platform
              namespace: astrago
              chart: ./platform
              needs: [astrago/keycloak]
              timeout: 900
              values:
              - values.yaml.gotmpl
              - config: {fromInline: true}
            - name: keycloak
              namespace: astrago
              chart: ./keycloak
              values:
              - keycloak.yaml.gotmpl
            - name: harbor
              namespace: harbor
              chart: ./keycloak
              condition: harbor.enabled
            - name: tools
              chart: ./keycloak
            """)
        try fixture.chart("applications/platform/platform", name: "platform")
        try fixture.chart("applications/platform/keycloak", name: "keycloak")
        try fixture.write(
            "applications/platform/values.yaml.gotmpl",
            """
            image: {{ printf "%s/xiilab/astrago:%s" .Values.registry "core-1" | quote }}
            config:
              {{- if .Values.theme }}
              url: http://{{ .Values.externalIP }}:30080/{{ .Release.Name }}/{{ .Values.extra.passed }}
              {{- else }}
              url: none
              {{- end }}
              password: {{ .Values.admin.password | quote }}
            """)
        try fixture.write(
            "applications/platform/keycloak.yaml.gotmpl", "image: {{ .Values.registry }}/keycloak/keycloak:{{ .Values.theme | trim }}\n")
        return fixture
    }

    @Test func importsInHelmfileOrderWithValuesRenderedAndSiteValuesDeclared() throws {
        let fixture = try Self.fixture()
        let run = try fixture.airgapBundle([
            "import-helmfile", "helmfile.yaml", "--environment", "prod", "--output", "out/platform.yaml", "--site-value", "externalIP",
            "--site-value", "nfs.server", "--site-value", "admin.password", "--name", "astrago", "--version", "2.0.0",
        ])
        #expect(run.status == 0, "\(run.stderr)")
        let manifest = try ManifestParser.load(fixture.root + "/out/platform.yaml")
        // helmfiles: in order (storage, then platform); in platform, keycloak moves before platform
        // because platform needs it; tools keeps its place; harbor is kept but switched off.
        #expect(manifest.components.map(\.name) == ["nfs", "keycloak", "platform", "tools"])
        #expect(manifest.components.map(\.namespace) == ["kube-system", "astrago", "astrago", "default"])  // no namespace: default
        // A templated helmfile: installed: {{ eq .Environment.Name "dev" }} renders false for prod.
        #expect(manifest.switchedOff.map(\.name) == ["debug-tools", "harbor"])
        #expect(
            manifest.switchedOff.map(\.reason) == ["installed: false in environment prod", "condition harbor.enabled is false in environment prod"])
        #expect(manifest.switchedOff.map(\.optional) == [false, true])  // a condition makes a release switchable
        #expect(manifest.name == "astrago" && manifest.version == "2.0.0")
        // Site values: the environment's value is the default, except for a secret (admin.password).
        let declared = Dictionary(uniqueKeysWithValues: manifest.siteValues.map { ($0.name, $0) })
        #expect(declared["externalIP"]?.defaultValue == "10.0.0.9")
        #expect(declared["nfs.server"]?.defaultValue == "nfs.prod")
        #expect(declared["admin.password"]?.secret == true && declared["admin.password"]?.defaultValue == nil)
        // Values as helmfile renders them, with the site values left for the site.
        #expect(
            try fixture.read("out/platform.values/nfs/01-values.yaml")
                == "image: \"quay.io/sig-storage/nfsplugin:v4.7.0\"\nconfig:\n  server: {{ .Values.nfs.server }}\n  share: \"/export\"")
        #expect(
            try fixture.read("out/platform.values/platform/01-values.yaml")
                == "image: \"quay.io/xiilab/astrago:core-1\"\nconfig:\n  url: \"http://{{ .Values.externalIP }}:30080/platform/prod\"\n  password: {{ .Values.admin.password | quote }}"
        )
        #expect(try fixture.read("out/platform.values/platform/02-inline.yaml") == "config:\n  fromInline: true\n")
        #expect(try fixture.read("out/platform.values/keycloak/01-keycloak.yaml") == "image: quay.io/keycloak/keycloak:v1.1.5\n")
        let text = try fixture.read("out/platform.yaml")
        #expect(text.contains("# from ../applications/platform/helmfile.yaml; helm timeout=900"), "\(text)")  // the release's timeout
        #expect(text.contains("path: ../applications/platform/platform"))
        #expect(run.stdout.contains("wrote: out/platform.yaml (4 components, 2 switched off)"), "\(run.stdout)")

        // images takes the manifest as it is: Helm renders each chart with the imported values.
        let images = try fixture.airgapBundle(["images", "out/platform.yaml", "--json", "--cache", fixture.root + "/cache"])
        #expect(images.status == 0, "\(images.stderr)")
        for reference in ["quay.io/sig-storage/nfsplugin:v4.7.0", "quay.io/keycloak/keycloak:v1.1.5", "quay.io/xiilab/astrago:core-1"] {
            #expect(images.stdout.contains(reference), "\(images.stdout)")
        }
        #expect(!images.stdout.contains("\"harbor\""), "a switched-off component is not rendered")
    }

    @Test func reimportShowsWhatChangedAndCheckFailsWhenOutOfDate() throws {
        let fixture = try Self.fixture()
        let importArguments = ["import-helmfile", "helmfile.yaml", "--environment", "prod", "--output", "out/p.yaml"]
        #expect(try fixture.airgapBundle(importArguments).status == 0)
        let same = try fixture.airgapBundle(importArguments + ["--check"])
        #expect(same.status == 0 && same.stdout.contains("up to date: out/p.yaml"), "\(same.stdout)\(same.stderr)")

        // Harbor switched on, the storage chart moved, a value changed, tools dropped.
        try fixture.write("environments/prod/values.yaml", try fixture.read("environments/prod/values.yaml") + "harbor: {enabled: true}\ntheme: v2\n")
        try fixture.write(
            "applications/platform/helmfile.yaml",
            try fixture.read("applications/platform/helmfile.yaml").replacingOccurrences(of: "- name: tools\n  chart: ./keycloak", with: ""))
        try fixture.chart("applications/storage/nfs-v2", name: "nfs-chart")
        try fixture.write(
            "applications/storage/helmfile.yaml",
            try fixture.read("applications/storage/helmfile.yaml").replacingOccurrences(of: "chart: nfs-chart", with: "chart: nfs-v2"))
        let check = try fixture.airgapBundle(importArguments + ["--check"])
        #expect(check.status == 1, "\(check.stderr)")
        #expect(check.stderr.contains("out/p.yaml is out of date"), "\(check.stderr)")
        #expect(check.stdout.contains("- component tools"), "\(check.stdout)")
        #expect(
            check.stdout.contains("~ nfs: chart path=../applications/storage/nfs-chart -> path=../applications/storage/nfs-v2"), "\(check.stdout)")
        #expect(check.stdout.contains("~ harbor: switched on"), "\(check.stdout)")
        #expect(check.stdout.contains("~ keycloak: values changed (01-keycloak.yaml)"), "\(check.stdout)")
        #expect(try fixture.read("out/p.yaml").contains("- name: tools"), "--check writes nothing")

        let write = try fixture.airgapBundle(importArguments)
        #expect(write.status == 0 && write.stdout.contains("- component tools"), "\(write.stdout)")
        #expect(try !fixture.read("out/p.yaml").contains("- name: tools"))
        #expect(!FileManager.default.fileExists(atPath: fixture.root + "/out/p.values/tools"), "stale values files are removed")
        #expect(try fixture.airgapBundle(importArguments + ["--check"]).status == 0)
    }

    @Test func anUnsupportedTemplateNamesFileLineAndConstruct() throws {
        let fixture = try Self.fixture()
        try fixture.write("applications/platform/keycloak.yaml.gotmpl", "a: 1\nimage: {{ .Values.registry | b64enc }}\n")
        let run = try fixture.airgapBundle(["import-helmfile", "helmfile.yaml", "--environment", "prod", "--output", "out/p.yaml"])
        #expect(run.status == 2)
        #expect(run.stderr.contains("applications/platform/keycloak.yaml.gotmpl:2: function \"b64enc\" is not supported"), "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: fixture.root + "/out/p.yaml"), "nothing is written")

        let unknown = try fixture.airgapBundle(["import-helmfile", "helmfile.yaml", "--environment", "stage", "--output", "out/p.yaml"])
        #expect(unknown.status == 2 && unknown.stderr.contains("environment \"stage\" is not declared (declared: dev, prod)"), "\(unknown.stderr)")
    }

    @Test func hostileInputIsRefusedWithinBounds() throws {
        let fixture = try HelmfileFixture("helmfile-hostile")
        // A billion-laughs document: aliases expanding past the node limit are refused, not expanded.
        var laughs = "environments:\n  prod: {}\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for level in 1...9 { laughs += "a\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ") + "]\n" }
        try fixture.write("helmfile.yaml", laughs)
        let run = try fixture.airgapBundle(["import-helmfile", "helmfile.yaml", "--environment", "prod", "--output", "m.yaml"])
        #expect(run.status == 2 && run.stderr.contains("its YAML aliases expand to more than the limit of"), "\(run.stderr)")
        // Parentheses nested past the parser's bound are an error, not a stack overflow.
        try fixture.write("helmfile.yaml", "x: {{ " + String(repeating: "(", count: 5000) + "1" + String(repeating: ")", count: 5000) + " }}\n")
        let deep = try fixture.airgapBundle(["import-helmfile", "helmfile.yaml", "--environment", "prod", "--output", "m.yaml"])
        #expect(deep.status == 2 && deep.stderr.contains("helmfile.yaml:1: parentheses nested deeper than 64 levels"), "\(deep.stderr)")
    }

    @Test func helpShowsAnExample() throws {
        let help = try HelmfileFixture("helmfile-help").airgapBundle(["import-helmfile", "--help"])
        #expect(help.status == 0)
        #expect(
            help.stdout.contains("airgap-bundle import-helmfile helmfile.yaml -e prod -o astrago.yaml --check\n"), "\(help.stdout)")
    }
}
