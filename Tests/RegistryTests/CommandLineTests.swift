import TestSupport
import Testing

@Suite("The command line: help with examples, exit codes")
struct CommandLineTests {
    @Test func helpHasExamplesAndEveryFlag() throws {
        let top = try airgapBundle(["--help"])
        #expect(top.status == 0)
        #expect(top.stdout.contains("Example") && top.stdout.contains("pull"))
        let pull = try airgapBundle(["pull", "--help"])
        #expect(pull.status == 0)
        for flag in [
            "--oci-layout", "--platform", "--insecure-registry", "--ca-file", "--concurrency", "--json", "--authfile", "--creds", "Examples:",
        ] {
            #expect(pull.stdout.contains(flag), "pull --help lacks \(flag)")
        }
    }

    @Test func usageErrorsExitTwo() throws {
        let missingLayout = try airgapBundle(["pull", "nginx"])
        #expect(missingLayout.status == 2)
        #expect(missingLayout.stderr.contains("--oci-layout"))
        let badPlatform = try airgapBundle(["pull", "nginx", "--oci-layout", "/tmp/x", "--platform", "linux"])
        #expect(badPlatform.status == 2)
        #expect(badPlatform.stderr.contains("invalid platform \"linux\""), "\(badPlatform.stderr)")
        let badCreds = try airgapBundle(["pull", "nginx", "--oci-layout", "/tmp/x", "--creds", "nohost"])
        #expect(badCreds.status == 2)
    }
}
