import ChartResolution
import Foundation
import Integrity

/// The SHA-256 of what a manifest says about one component and of the values files it names:
/// recorded in the lock, so `--locked` notices a changed manifest and names the component.
enum ComponentInputs {
    static func digest(_ component: BundleManifest.Component) throws -> String {
        var text = "name=\(component.name)\nnamespace=\(component.namespace)\nrelease=\(component.releaseName)\n"
        text += "optional=\(component.optional)\nchart=\(component.chart)\n"
        text += "extra=\(component.extraImages.map(\.description).sorted().joined(separator: ","))\n"
        text += "exclude=\(component.excludedImages.sorted().joined(separator: ","))\n"
        let hasher = SHA256Hasher()
        hasher.update(Array(text.utf8))
        for file in component.values {
            let bytes: Data
            do { bytes = try Data(contentsOf: URL(fileURLWithPath: file)) } catch {
                throw BuildError.io("component \"\(component.name)\": cannot read the values file \(file): \(error.localizedDescription)")
            }
            hasher.update(Array("values=\((file as NSString).lastPathComponent) \(bytes.count)\n".utf8))
            hasher.update(Array(bytes))
        }
        return hasher.finalizeHex()
    }
}
