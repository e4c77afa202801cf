import Bundle
import Foundation
import Integrity

/// A CycloneDX 1.5 JSON SBOM of the bundle: every image (by digest), chart and file.
/// Deterministic: the same bundle content gives the same bytes.
enum SoftwareBillOfMaterials {
    static func make(
        name: String, version: String, created: String, charts: [BundleIndex.Chart],
        images: [BundleIndex.Image], files: [BundleIndex.File], builder: BundleIndex.Builder
    ) -> [UInt8] {
        var components: [[String: Any]] = []
        for image in images {
            let (repository, tag) = splitReference(image.reference)
            let last = repository.split(separator: "/").last.map(String.init) ?? repository
            var purl = "pkg:oci/\(last)@\(image.digest.description.replacingOccurrences(of: ":", with: "%3A"))?repository_url=\(repository)"
            if let tag { purl += "&tag=\(tag)" }
            components.append([
                "type": "container", "bom-ref": image.reference, "name": repository, "version": image.digest.description,
                "purl": purl, "hashes": [["alg": "SHA-256", "content": image.digest.hex]],
                "properties": image.platforms.map { ["name": "astrago:platform", "value": $0] },
            ])
        }
        for chart in charts {
            components.append([
                "type": "application", "bom-ref": chart.path, "name": chart.name ?? chart.path, "version": chart.version ?? "",
                "hashes": [["alg": "SHA-256", "content": chart.sha256]], "properties": [["name": "astrago:kind", "value": "helm-chart"]],
            ])
        }
        for file in files {
            components.append(["type": "file", "bom-ref": file.path, "name": file.path, "hashes": [["alg": "SHA-256", "content": file.sha256]]])
        }
        let seed = SHA256Hasher.hex(
            of: Array(
                (images.map(\.reference) + images.map(\.digest.description) + charts.map(\.sha256) + files.map(\.sha256)).joined(separator: "\n").utf8
            ))
        let uuid = uuidText(seed)
        let document: [String: Any] = [
            "bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1, "serialNumber": "urn:uuid:\(uuid)",
            "metadata": [
                "timestamp": created,
                "component": ["type": "application", "name": name, "version": version, "bom-ref": "bundle"],
                "tools": ["components": [["type": "application", "name": builder.name, "version": builder.version]]],
            ],
            "components": components,
        ]
        return Array(try! JSONSerialization.data(withJSONObject: document, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]))
    }

    private static func splitReference(_ reference: String) -> (String, String?) {
        var name = reference
        if let at = name.firstIndex(of: "@") { name = String(name[..<at]) }
        let slash = name.lastIndex(of: "/")
        if let colon = name.lastIndex(of: ":"), slash.map({ colon > $0 }) ?? true {
            return (String(name[..<colon]), String(name[name.index(after: colon)...]))
        }
        return (name, nil)
    }

    private static func uuidText(_ hex: String) -> String {
        let h = Array(hex.prefix(32))
        return [String(h[0..<8]), String(h[8..<12]), "5" + String(h[13..<16]), "8" + String(h[17..<20]), String(h[20..<32])].joined(separator: "-")
    }
}
