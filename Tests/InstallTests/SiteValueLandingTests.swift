import Charts
import Foundation
import Install
import TestSupport
import Testing

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
}
