import Foundation
import Install
import OCI
import TestSupport
import Testing

/// Failures that were once dropped by a `try?` and now reach the user: a relocation entry that
/// is not an image reference, and the post-renderer's report of why it refused (Helm 4 shows
/// only that a plugin failed, so deploy reads that report).
@Suite("Failures the site tools once dropped are said")
struct DroppedFailureTests {
    @Test func aRelocationEntryThatIsNotAnImageReferenceIsRefusedNotLeftOut() throws {
        // Before: the entry was left out of the rewrite, so its image stayed as the chart wrote it.
        let digest = try Digest("sha256:" + String(repeating: "4", count: 64))
        let relocation = RelocationMap(
            bundle: "t", registry: "h:5000", project: "p",
            images: [
                .init(source: "quay.io/acme/app:1.0", target: "h:5000/p/acme/app:1.0", digest: digest),
                .init(source: "quay.io/acme/tool:2.0", target: "h:5000/p/ACME/tool:2.0", digest: digest),
            ])
        let error = try #require(throws: RewriteError.self) { try ImageRewriter(relocation: relocation) }
        for part in ["relocation.json image 2", "h:5000/p/ACME/tool:2.0", "is not an image reference"] {
            #expect(error.message.contains(part), "\(part): \(error.message)")
        }
        #expect(throws: RewriteError.self) {
            try ImageRewriter(relocation: RelocationMap(bundle: "t", registry: "h:5000", project: "p", images: []), keep: ["Not An Image"])
        }
    }

    @Test func aRecordedPostRenderFailureThatCannotBeReadIsSaidNotDropped() throws {
        let root = try TestPaths.scratch("post-render-report")
        let relocation = root + "/relocation.json"
        let report = PostRenderer.failureReport(relocation: relocation, component: "keycloak")
        try PostRenderer.recordFailure("image quay.io/x/y:1 is not in the bundle", relocation: relocation, component: "keycloak")
        #expect(
            PostRenderer.withRecordedFailure("Error: plugin exited with error", relocation: relocation, component: "keycloak")
                == "Error: plugin exited with error\nimage quay.io/x/y:1 is not in the bundle")
        // Before: a report that could not be read (here a link, which state files never follow)
        // was passed over, and deploy showed only Helm's words.
        try FileManager.default.removeItem(atPath: report)
        try FileManager.default.createSymbolicLink(atPath: report, withDestinationPath: root + "/elsewhere.txt")
        let message = PostRenderer.withRecordedFailure("Error: plugin exited with error", relocation: relocation, component: "keycloak")
        #expect(message.hasPrefix("Error: plugin exited with error\n(the post-renderer's report cannot be read: "), "\(message)")
        #expect(message.contains(report), "\(message)")
        // Clearing removes it; clearing what is not there is no error.
        try PostRenderer.clearFailure(relocation: relocation, component: "keycloak")
        try PostRenderer.clearFailure(relocation: relocation, component: "keycloak")
        #expect(!FileManager.default.fileExists(atPath: report))
    }

    @Test func aPostRenderFailureThatCannotBeRecordedIsSaidOnStandardError() throws {
        let root = try TestPaths.scratch("post-render-unrecorded")
        // `deploy` is a file, so the report's directory cannot be made.
        try Data("not a directory".utf8).write(to: URL(fileURLWithPath: root + "/deploy"))
        let result = try airgap("airgap-install", ["post-render", "--relocation", root + "/relocation.json", "--component", "keycloak"])
        #expect(result.status == 2, "\(result.stderr)")  // relocation.json cannot be read: I/O
        #expect(result.stderr.contains("cannot read \(root)/relocation.json"), "\(result.stderr)")
        // Before: nothing said that deploy would never see this reason.
        #expect(result.stderr.contains("(not recorded for deploy: "), "\(result.stderr)")
    }
}
