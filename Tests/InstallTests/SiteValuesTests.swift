import Foundation
import Install
import Rendering
import Testing

@Suite("Site values: the admin's site.yaml checked against the bundle, every problem at once")
struct SiteValuesTests {
    static let declarations = [
        SiteValueDeclaration(
            name: "externalIP", description: "Address users reach the platform on", type: .string, required: true, defaultValue: nil, secret: false),
        SiteValueDeclaration(name: "nfs.server", description: "NFS server", type: .string, required: true, defaultValue: nil, secret: false),
        SiteValueDeclaration(name: "nfs.port", description: "NFS port", type: .int, required: false, defaultValue: "2049", secret: false),
        SiteValueDeclaration(name: "debug", description: "Debug logs", type: .bool, required: false, defaultValue: "false", secret: false),
        SiteValueDeclaration(
            name: "keycloak.adminPassword", description: "Keycloak admin password", type: .string, required: true, defaultValue: nil, secret: true),
        SiteValueDeclaration(
            name: "harbor.adminPassword", description: "Harbor admin password", type: .string, required: true, defaultValue: nil, secret: true),
    ]
    static let components: [(name: String, optional: Bool)] = [
        ("csi-driver-nfs", false), ("gpu-operator", true), ("keycloak", false), ("harbor", true),
    ]
    static let uses: [String: Set<String>] = [
        "csi-driver-nfs": ["nfs.server", "nfs.port"], "keycloak": ["keycloak.adminPassword"], "harbor": ["harbor.adminPassword", "externalIP"],
    ]

    func parse(_ text: String) throws -> SiteValues {
        try SiteValues.parse(text, file: "site.yaml", declarations: Self.declarations, components: Self.components, uses: Self.uses)
    }

    @Test func nestedValuesDefaultsAndSwitchedOffComponents() throws {
        let values = try parse(
            """
            externalIP: 10.0.0.5
            nfs: {server: nfs.site.local}
            keycloak:
              adminPassword: "kc-Secr3t"
            components: {harbor: {enabled: false}, gpu-operator: {enabled: true}}
            """)
        #expect(values.value("nfs.server") == "nfs.site.local")
        #expect(values.value("nfs.port") == "2049")
        #expect(values.value("debug") == "false")
        #expect(values.value("keycloak.adminPassword") == "kc-Secr3t")
        // Harbor is off, so its required password need not be given.
        #expect(values.value("harbor.adminPassword") == nil)
        #expect(values.disabledComponents == ["harbor"])
        #expect(values.secretNames == ["keycloak.adminPassword", "harbor.adminPassword"])
    }

    @Test func everyProblemIsReportedTogetherByNameAndDescriptionNeverByValue() throws {
        let text = """
            nfs:
              port: "twenty"
              sever: typo.local
            keycloak: {adminPassword: [hunter2-secret]}
            debug: maybe
            colour: blue
            components: {keycloak: {enabled: false}, longhorn: {enabled: true}}
            """
        do {
            _ = try parse(text)
            Issue.record("bad site values were accepted")
        } catch let error as SiteValuesError {
            let message = error.description
            for expected in [
                "nfs.port (line 2) must be an integer: NFS port",
                "nfs.sever (line 3) is not a site value of this bundle",
                "keycloak.adminPassword (line 4) must be a single value, not a list",
                "debug (line 5) must be true or false: Debug logs",
                "colour (line 6) is not a site value of this bundle",
                "components.keycloak (line 7) is required and cannot be switched off",
                "components.longhorn (line 7) is not a component of this bundle",
                "externalIP is required: Address users reach the platform on",
                "nfs.server is required: NFS server",
                "harbor.adminPassword is required: Harbor admin password",
            ] {
                #expect(message.contains(expected), "\(expected) in \(message)")
            }
            #expect(error.problems.count == 10, "\(message)")
            for value in ["twenty", "typo.local", "hunter2-secret", "maybe", "blue"] { #expect(!message.contains(value), "\(value)") }
        }
    }

    @Test func valuesNothingInstalledUsesAreWarnedByNameNeverByValue() throws {
        let values = try parse(
            """
            externalIP: 10.0.0.5
            nfs: {server: nfs.site.local}
            debug: true
            keycloak: {adminPassword: "kc-Secr3t"}
            harbor: {adminPassword: "hb-Secr3t"}
            components: {harbor: {enabled: false}}
            """)
        #expect(
            values.unusedWarnings == [
                "externalIP (line 1) is given but only switched-off components use it (harbor)",
                "debug (line 3) is given but no component of this bundle uses it",
                "harbor.adminPassword (line 5) is given but only switched-off components use it (harbor)",
            ])
        for value in ["10.0.0.5", "true", "hb-Secr3t"] { #expect(!values.unusedWarnings.joined().contains(value), "\(value)") }
        let used = try parse("externalIP: 10.0.0.5\nnfs: {server: n}\nkeycloak: {adminPassword: a}\nharbor: {adminPassword: b}\n")
        #expect(used.unusedWarnings.isEmpty)
    }

    @Test func secretsAreRedactedFromHelmsWords() throws {
        let values = try parse("externalIP: 10.0.0.5\nnfs: {server: n}\nkeycloak: {adminPassword: pw-long-secret}\nharbor: {adminPassword: pw}\n")
        let helm = "Error: INSTALLATION FAILED: secret \"pw-long-secret\" rejected; pw too short; server n at 10.0.0.5"
        #expect(values.redacted(helm) == "Error: INSTALLATION FAILED: secret \"***\" rejected; *** too short; server n at 10.0.0.5")
    }

    @Test func yamlErrorsSayWhereButNotWhat() throws {
        do {
            _ = try parse("keycloak:\n  adminPassword: \"s3cret-unterminated\n")
            Issue.record("broken YAML was accepted")
        } catch let error as SiteValuesError {
            #expect(error.description.contains("not valid YAML"))
            #expect(!error.description.contains("s3cret"))
        }
    }

    @Test func theInitValuesTemplateReadsBackWithOnlyTheRequiredValuesMissing() throws {
        let text = SiteValuesTemplate.text(bundle: "astrago 1.0.0", declarations: Self.declarations, components: Self.components)
        #expect(text.contains("nfs:\n"))
        #expect(text.contains("  # NFS server (string, REQUIRED)\n  server:\n"))
        #expect(text.contains("  # NFS port (int: an integer)\n  port: \"2049\"\n"))
        #expect(text.contains("  # Keycloak admin password (string, REQUIRED, secret)\n  adminPassword:\n"))
        #expect(text.contains("components:\n  gpu-operator: {enabled: true}\n  harbor: {enabled: true}\n"))
        do {
            _ = try parse(text)
            Issue.record("the unfilled template was accepted")
        } catch let error as SiteValuesError {
            #expect(
                Set(error.problems) == [
                    "externalIP is required: Address users reach the platform on", "nfs.server is required: NFS server",
                    "keycloak.adminPassword is required: Keycloak admin password", "harbor.adminPassword is required: Harbor admin password",
                ], "\(error)")
        }
    }

    @Test func typedValuesFailPlanAndDeployWithTheReasonAndTheFileSetupWritesReadsBack() throws {
        let typed = [
            SiteValueDeclaration(name: "externalIP", description: "Address", type: .ip, required: true, defaultValue: nil, secret: false),
            SiteValueDeclaration(name: "nfs.basePath", description: "Export", type: .path, required: false, defaultValue: "/export", secret: false),
            SiteValueDeclaration(
                name: "size", description: "Size", type: .enumeration, required: false, defaultValue: nil, secret: false, values: ["s", "l"]),
            SiteValueDeclaration(name: "db.password", description: "DB password", type: .string, required: true, defaultValue: nil, secret: true),
        ]
        func parse(_ text: String) throws -> SiteValues {
            try SiteValues.parse(text, file: "site.yaml", declarations: typed, components: [("app", false)], uses: [:])
        }
        do {
            _ = try parse("externalIP: 10.0.0.256\nnfs: {basePath: export}\nsize: m\ndb: {password: \"\"}\n")
            Issue.record("wrong values were accepted")
        } catch let error as SiteValuesError {
            #expect(
                error.problems == [
                    "externalIP (line 1) must be an IP address (IPv4 such as 10.0.0.5, or IPv6): Address",
                    "nfs.basePath (line 2) must be an absolute path (starting with /): Export",
                    "size (line 3) must be one of: s, l: Size",
                    "db.password (line 4) must be non-empty (it is required): DB password",
                ], "\(error)")
        }
        // setup's file: answers so far, the rest empty (not given yet), read back as such.
        let partial = SiteValuesTemplate.text(
            bundle: "t 1", declarations: typed, components: [("app", false)], filled: ["externalIP": "10.0.0.5", "db.password": "p\"w"])
        #expect(partial.contains("# Address (ip: an IP address (IPv4 such as 10.0.0.5, or IPv6), REQUIRED)\nexternalIP: \"10.0.0.5\"\n"))
        #expect(partial.contains("  basePath:\n"))
        let values = try parse(partial)
        #expect(values.value("db.password") == "p\"w" && values.value("nfs.basePath") == "/export" && values.value("size") == nil)
    }

    @Test func setupReadsWhatTheFileHoldsAndNamesWhatItWouldLose() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("setup-values-\(UUID().uuidString).yaml").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try """
        externalIP: 10.0.0.5
        nfs:
          server:
          port: "2049"
          sever: typo.example
        extra: {deep: 1}
        components:
          gpu-operator: {enabled: false}
          harbor: {enabled: maybe}
        """.write(toFile: path, atomically: true, encoding: .utf8)
        let file = try SetupValuesFile.read(path, declarations: Self.declarations)
        #expect(file.given == ["externalIP": "10.0.0.5", "nfs.port": "2049"])
        #expect(file.disabled == ["gpu-operator"])
        #expect(file.unknown == ["nfs.sever (line 5)", "extra.deep (line 6)", "components.harbor (line 9)"], "\(file.unknown)")
        #expect(file.unanswered(Self.declarations).map(\.name) == ["nfs.server", "debug", "keycloak.adminPassword", "harbor.adminPassword"])

        // Written back: 0600, the answers so far, and it reads back the same.
        var written = try SetupValuesFile.read(path + ".new", declarations: Self.declarations)
        defer { try? FileManager.default.removeItem(atPath: path + ".new") }
        try written.answer("nfs.server", "nfs.local", bundle: "t 1", declarations: Self.declarations, components: Self.components)
        #expect(try FileManager.default.attributesOfItem(atPath: path + ".new")[.posixPermissions] as? Int == 0o600)
        let again = try SetupValuesFile.read(path + ".new", declarations: Self.declarations)
        #expect(again.given == ["nfs.server": "nfs.local"] && again.unknown.isEmpty && again.disabled.isEmpty)
    }
}
