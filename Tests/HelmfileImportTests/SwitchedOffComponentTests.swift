import ChartResolution
import Foundation
import TestSupport
import Testing

/// The manifest field the import writes for a release the environment switches off:
/// `installed: false` with a `reason`. Such a component stays in the file but is never handed
/// on (images, lock, build and deploy see only `components`).
@Suite("installed: false in a manifest")
struct SwitchedOffComponentTests {
    func parse(_ component: String) throws -> BundleManifest {
        let fixture = try HelmfileFixture("switched-off")
        try fixture.chart("chart", name: "web")
        let text = """
            apiVersion: airgap.astrago.io/v1
            kind: Bundle
            metadata: {name: t, version: 1.0.0}
            components:
              - {name: on, namespace: a, chart: {path: chart}}
            \(component)
            """
        try fixture.write("m.yaml", text)
        return try ManifestParser.load(fixture.root + "/m.yaml")
    }

    @Test func aSwitchedOffComponentIsKeptApartWithItsReason() throws {
        let manifest = try parse("  - {name: off, namespace: b, chart: {path: chart}, installed: false, reason: \"condition x.enabled is false\"}")
        #expect(manifest.components.map(\.name) == ["on"])
        #expect(manifest.switchedOff.map(\.name) == ["off"])
        #expect(manifest.switchedOff.first?.reason == "condition x.enabled is false")
    }

    @Test func switchingOffNeedsAReason() {
        #expect {
            _ = try parse("  - {name: off, namespace: b, chart: {path: chart}, installed: false}")
        } throws: { error in
            "\(error)".contains("component \"off\" is switched off (installed: false) without a reason")
        }
    }
}
