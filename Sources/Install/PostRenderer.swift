import Bundle
import Foundation

/// `airgap-install post-render`: what Helm runs between rendering and applying.
public enum PostRenderer {
    /// Where `post-render` leaves why it refused, for deploy: Helm 4 does not show a plugin's standard error.
    public static func failureReport(relocation: String, component: String?) -> String {
        // A component name that is not a DNS-1123 label (it comes from the command line) never
        // becomes a path: the report stays inside the state directory.
        let name = component.flatMap { BundleNamePolicy.labelProblem($0) == nil ? $0 : nil } ?? "no-component"
        return (relocation as NSString).deletingLastPathComponent + "/deploy/post-render-failures/\(name).txt"
    }

    /// What Helm rendered, refused once past `ImageRewriter.maximumInputBytes` (a flood costs no more).
    public static func readInput(_ handle: FileHandle) throws -> Data {
        let limit = ImageRewriter.maximumInputBytes
        var input = Data()
        while true {
            let chunk = handle.readData(ofLength: 1 << 20)
            if chunk.isEmpty { return input }
            guard input.count + chunk.count <= limit else {
                throw RewriteError(message: "the rendered manifests on standard input pass the limit of \(limit) bytes: nothing was applied")
            }
            input.append(chunk)
        }
    }

    /// Records `message` at `failureReport`; `post-render` says on standard error when it cannot.
    public static func recordFailure(_ message: String, relocation: String, component: String?) throws {
        let path = failureReport(relocation: relocation, component: component)
        try StateFiles.makeDirectory((path as NSString).deletingLastPathComponent)
        try StateFiles.write(Array(message.utf8), to: path)
    }

    /// Forgets an earlier run's refusal before helm runs again (one that stays would be an error).
    public static func clearFailure(relocation: String, component: String?) throws {
        let path = failureReport(relocation: relocation, component: component)
        guard unlink(path) == 0 || errno == ENOENT else {
            throw InstallError.io("cannot remove the post-renderer's earlier report \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Helm's message with the recorded refusal added when Helm did not show it, or why it cannot be read.
    public static func withRecordedFailure(_ helmMessage: String, relocation: String, component: String?) -> String {
        let path = failureReport(relocation: relocation, component: component)
        let refusal: [UInt8]?
        do { refusal = try StateFiles.read(path) } catch { return helmMessage + "\n(the post-renderer's report cannot be read: \(error))" }
        guard let refusal, case let text = String(decoding: refusal, as: UTF8.self), !helmMessage.contains(text) else { return helmMessage }
        return helmMessage + "\n" + text
    }

    /// The rewriter for `component` from `relocation.json` and the pushed `bundle.json` beside it
    /// (its `images.exclude`); `imagePullSecret` goes into every pod spec.
    public static func rewriter(relocation path: String, component: String?, imagePullSecret: String? = nil) throws -> ImageRewriter {
        let relocation = try RelocationMap.read(path)
        var keep: [String] = []
        if let component {
            let indexPath = (path as NSString).deletingLastPathComponent + "/" + BundlePaths.index
            guard let indexData = try StateFiles.read(indexPath, limit: BundleVerifier.indexLimit).map({ Data($0) }) else {
                throw InstallError.io("cannot read the pushed bundle.json beside \(path)")
            }
            let index: BundleIndex
            do { index = try JSONDecoder().decode(BundleIndex.self, from: indexData) } catch {
                throw InstallError.bundle("the pushed bundle.json beside \(path) is not a bundle index: \(error)")
            }
            guard let entry = index.components.first(where: { $0.name == component }) else {
                throw InstallError.bundle("the bundle has no component \"\(component)\"")
            }
            keep = entry.excludedImages ?? []
        }
        return try ImageRewriter(relocation: relocation, keep: keep, imagePullSecret: imagePullSecret)
    }
}
