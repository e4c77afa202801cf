import ChartFormat
import Foundation

/// Images a ConfigMap hands to an operator, in `data` and in `binaryData` that decodes to UTF-8
/// text (binary content is not read):
/// - a key that names an image (`image`, `*Image`, `*_IMAGE`, `*-image`) whose value is a
///   reference in any form (`velero/velero:v1.17.1`);
/// - under any key, a value that is a registry-qualified reference with a tag or digest (the
///   "image set" ConfigMaps CSI operators read);
/// - a value that is itself a YAML or JSON document, read with `ImageFields` (image fields,
///   joined repository/tag fields, registry-qualified values). Documents are loaded with
///   `BoundedYAML`'s limits; one over them is skipped with the reason given to `warn`.
struct ConfigMapImages {
    /// One image found: the reference as written and where (`data[key]`, `data[key] a.b.image`).
    struct Finding: Sendable, Hashable {
        var reference: String
        var location: String
    }

    var limits = BoundedYAML.Limits.embeddedDocument
    /// Bytes of ConfigMap values one component may hold in all: aliases in the rendered manifest
    /// can repeat one large value many times, so the total is bounded, not only each value.
    static let totalDocumentBytes = 64 << 20
    /// What is left of `totalDocumentBytes`; negative once the reader has said it stopped.
    var documentBytesLeft = totalDocumentBytes

    mutating func find(in configMap: [String: Any], warn: (String) -> Void) -> [Finding] {
        var found: [Finding] = []
        for (key, value) in (configMap["data"] as? [String: Any] ?? [:]).sorted(by: { $0.key < $1.key }) {
            guard let text = value as? String else { continue }
            found += read(text, key: key, location: "data[\(key)]", warn: warn)
        }
        for (key, value) in (configMap["binaryData"] as? [String: Any] ?? [:]).sorted(by: { $0.key < $1.key }) {
            guard let encoded = value as? String else { continue }
            let location = "binaryData[\(key)]"
            guard encoded.utf8.count <= (limits.maximumBytes / 3 + 1) * 4 else {
                warn("\(location) not read: it is \(encoded.utf8.count) bytes of base64, over the limit of \(limits.maximumBytes) decoded bytes")
                continue
            }
            guard let bytes = Data(base64Encoded: encoded, options: .ignoreUnknownCharacters), !bytes.contains(0),
                let text = String(data: bytes, encoding: .utf8)
            else { continue }  // binary content: no images to read
            found += read(text, key: key, location: location, warn: warn)
        }
        return found
    }

    private mutating func read(_ text: String, key: String, location: String, warn: (String) -> Void) -> [Finding] {
        if ReferenceShape.nameSaysImage(key), let reference = ReferenceShape.imageNamedByKey(text) {
            return [Finding(reference: reference, location: location)]
        }
        if let reference = ReferenceShape.registryQualifiedImage(text) { return [Finding(reference: reference, location: location)] }
        let size = text.utf8.count
        guard size <= documentBytesLeft else {
            if documentBytesLeft >= 0 {
                warn("\(location) and the values after it not read: this component's ConfigMap values exceed \(Self.totalDocumentBytes) bytes in all")
                documentBytesLeft = -1
            }
            return []
        }
        documentBytesLeft -= size
        guard size <= limits.maximumBytes else {
            warn("\(location) not read: \(BoundedYAML.Refusal.tooLarge(bytes: size, limit: limits.maximumBytes))")
            return []
        }
        guard Self.mayBeDocument(text) else { return [] }
        let documents: [Any]
        do { documents = try BoundedYAML.loadAll(text, limits: limits) } catch {
            if case .invalid = error { return [] }  // not YAML or JSON: a config file of another format
            warn("\(location) not read: \(error)")
            return []
        }
        var found: [Finding] = []
        for (index, document) in documents.enumerated() {
            var fields: [ImageFields.Finding] = []
            ImageFields.walk(document, maximumDepth: limits.maximumDepth, anyQualifiedValue: true, into: &fields)
            let place = documents.count > 1 ? "\(location) document \(index + 1)" : location
            found += fields.map { Finding(reference: $0.reference, location: "\(place) \($0.path.isEmpty ? "(top)" : $0.path)") }
        }
        return found
    }

    /// A value worth parsing: more than one line, a JSON object or array, `key: value` or `- item`.
    static func mayBeDocument(_ text: String) -> Bool {
        let first = text.utf8.first { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") && $0 != UInt8(ascii: "\n") && $0 != UInt8(ascii: "\r") }
        guard let first else { return false }
        if first == UInt8(ascii: "{") || first == UInt8(ascii: "[") { return true }
        let body = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return body.contains("\n") || body.contains(": ") || body.hasPrefix("- ")
    }
}
