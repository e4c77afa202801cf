import ChartFormat
import ChartResolution
import Foundation
import Install
import Rendering
import TestSupport
import Testing
import Yams

/// The real manifest's values for csi-driver-nfs, with a site's values filled in as deploy fills
/// them, rendered by real Helm (helm-python-sdk behind Tests/Servers/helm-standin) with a chart of
/// our own that lays out csi-driver-nfs v4.7.0's `storageClass` values (the upstream chart needs
/// the internet). No Kubernetes API server runs here: the test stops at what Helm would apply.
@Suite("Site values land where the platform needs them")
struct SiteValueLandingTests {
    static let helm = TestPaths.servers + "/helm-standin/helm"
    static let chart = TestPaths.repository + "/Tests/Fixtures/site-charts/csi-driver-nfs-storageclass"

    @Test func theNFSServerAndExportLandInTheStorageClass() throws {
        let manifest = try ManifestParser.load(TestPaths.repository + "/manifests/astrago.yaml")
        let component = try #require(manifest.components.first { $0.name == "csi-driver-nfs" })
        let valuesFile = try #require(component.values.first)
        let site = try SiteValues.parse(
            """
            externalIP: 10.1.2.3
            nfs: {server: nfs.site.local, basePath: /export/astrago}
            grafana: {adminPassword: "g"}
            keycloak: {adminPassword: "k", dbPassword: "d"}
            harbor: {adminPassword: "h"}
            astrago: {mariadb: {username: platform, password: "p"}}
            """, file: "site.yaml", declarations: manifest.siteValues, components: manifest.components.map { ($0.name, $0.optional) },
            uses: [:])
        let template = try String(contentsOfFile: valuesFile, encoding: .utf8)
        let rendered = try ValuesTemplate.render(template, file: valuesFile, lookup: site.value)

        let root = try TestPaths.scratch("site-landing")
        let values = root + "/csi-driver-nfs.yaml"
        try rendered.write(toFile: values, atomically: true, encoding: .utf8)
        let output = try Shell.check([Self.helm, "template", "csi-driver-nfs", Self.chart, "--namespace", "kube-system", "--values", values])
            .stdout
        let documents = output.components(separatedBy: "\n---").filter { $0.contains("kind: StorageClass") }
        #expect(documents.count == 1, "\(output)")
        let storageClass = try #require(documents.first)
        #expect(storageClass.contains("name: astrago-nfs-csi"), "\(storageClass)")
        #expect(storageClass.contains("server: \"nfs.site.local\""), "\(storageClass)")
        #expect(storageClass.contains("share: \"/export/astrago\""), "\(storageClass)")
        #expect(storageClass.contains("reclaimPolicy: Retain"), "\(storageClass)")
        #expect(!storageClass.contains("{{"), "no template form is left for Helm to see")
    }

    /// Each hostile value (quotes, backslashes, a newline that would start a key, `: `, `#`,
    /// leading `*`/`&`/`!`, line separators), in each form a values file may use, lands in what
    /// real Helm renders as exactly the string given: the chart echoes each value with `toJson`.
    @Test(arguments: [
        #"pass"word"#, #"back\slash\"#, "line1\nevil: injected", "key: value", "x # not a comment", "*alias", "&anchor x", "!tag x",
        "- item", "{a: 1}", "'single'", "tab\there", "next\u{85}line", "sep\u{2028}para", " spaced ", "1.10", "0755", "yes",
    ])
    func aHostileValueLandsAsExactlyTheStringGiven(value: String) throws {
        let root = try TestPaths.scratch("site-landing-hostile")
        let chart = root + "/echo"
        try FileManager.default.createDirectory(atPath: chart + "/templates", withIntermediateDirectories: true)
        try "apiVersion: v2\nname: echo\nversion: 0.1.0\n".write(toFile: chart + "/Chart.yaml", atomically: true, encoding: .utf8)
        let scalars = ["whole", "quoted", "partial", "piped"]
        try
            (["apiVersion: v1", "kind: ConfigMap", "metadata: {name: echo}", "data:", "  keys: {{ keys .Values | sortAlpha | join \",\" | quote }}"]
            + scalars.map { "  \($0): {{ .Values.\($0) | b64enc | quote }}" }
            + ["inFlow", "inList"].map { "  \($0): {{ index .Values.\($0) 0 | b64enc | quote }}" }).joined(separator: "\n")
            .write(toFile: chart + "/templates/echo.yaml", atomically: true, encoding: .utf8)
        let valuesTemplate = """
            whole: {{ .Values.v }}
            quoted: "{{ .Values.v }}"
            partial: "http://{{ .Values.v }}:80"
            piped: {{ .Values.v | quote }}
            inFlow: [{{ .Values.v }}]
            inList:
              - {{ .Values.v }}
            """
        let rendered = try ValuesTemplate.render(valuesTemplate, file: "values.yaml") { $0 == "v" ? value : nil }
        let values = root + "/values.yaml"
        try rendered.write(toFile: values, atomically: true, encoding: .utf8)
        let output = try Shell.check([Self.helm, "template", "echo", chart, "--namespace", "default", "--values", values]).stdout
        let document = try #require(output.components(separatedBy: "\n---").first { $0.contains("kind: ConfigMap") }, "\(output)")
        let data = try #require(try BoundedYAML.compose(document, limits: .renderedManifest)?.mapping?["data"]?.mapping, "\(document)")
        func landed(_ key: String) -> String? {
            data[key]?.string.flatMap { Data(base64Encoded: $0) }.map { String(decoding: $0, as: UTF8.self) }
        }
        #expect(data["keys"]?.string == "inFlow,inList,partial,piped,quoted,whole", "no key was injected: \(document)")
        for key in ["whole", "quoted", "piped", "inFlow", "inList"] { #expect(landed(key) == value, "\(key): \(document)") }
        #expect(landed("partial") == "http://" + value + ":80", "\(document)")
    }
}
