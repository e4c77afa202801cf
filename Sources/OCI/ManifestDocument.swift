import Foundation

/// A manifest as fetched: its exact bytes (which its digest covers) and what they decode to.
///
/// The bytes are kept verbatim and never re-encoded, so digests survive every copy.
public struct ManifestDocument: Sendable, Hashable {
    public enum Content: Sendable, Hashable {
        case index(ImageIndex)
        case image(ImageManifest)
    }

    public let bytes: [UInt8]
    public let mediaType: String
    public let digest: Digest
    public let content: Content

    /// Decodes manifest bytes. `declaredType` is the registry's `Content-Type`, if any; the
    /// document's own `mediaType` field wins when present. Docker schema 1 is refused.
    public init(bytes: [UInt8], declaredType: String?) throws(ManifestError) {
        struct AnyValue: Decodable { init(from decoder: Decoder) throws {} }
        struct Probe: Decodable { var schemaVersion: Int?; var mediaType: String?; var manifests: AnyValue?; var config: AnyValue? }
        let probe: Probe
        do { probe = try JSONDecoder().decode(Probe.self, from: Data(bytes)) } catch {
            throw ManifestError.malformed("the manifest is not valid JSON: \(error.humanDescription)")
        }
        let declared = declaredType.map(Self.stripParameters)
        if probe.schemaVersion == 1 || declared.map(MediaType.isSchema1) == true {
            throw ManifestError.schema1
        }
        // The document's field, else the server's header, else infer from the shape.
        var type = probe.mediaType ?? declared ?? ""
        if !(MediaType.isIndex(type) || MediaType.isImageManifest(type)) {
            if probe.manifests != nil {
                type = MediaType.ociIndex
            } else if probe.config != nil {
                type = MediaType.ociManifest
            } else {
                throw ManifestError.unsupported(type.isEmpty ? "(none)" : type)
            }
        }
        do {
            if MediaType.isIndex(type) {
                content = .index(try JSONDecoder().decode(ImageIndex.self, from: Data(bytes)))
            } else {
                content = .image(try JSONDecoder().decode(ImageManifest.self, from: Data(bytes)))
            }
        } catch {
            throw ManifestError.malformed("the \(type) document does not decode: \(error.humanDescription)")
        }
        self.bytes = bytes
        self.mediaType = type
        self.digest = Digest.of(bytes)
    }

    /// A descriptor for this manifest.
    public func descriptor(platform: Platform? = nil, annotations: [String: String]? = nil) -> Descriptor {
        Descriptor(mediaType: mediaType, digest: digest, size: Int64(bytes.count), platform: platform, annotations: annotations)
    }

    private static func stripParameters(_ contentType: String) -> String {
        String(contentType.split(separator: ";").first ?? "").trimmingCharacters(in: .whitespaces)
    }
}

/// Why a manifest cannot be used.
public enum ManifestError: Error, Sendable, CustomStringConvertible, Equatable {
    case schema1
    case unsupported(String)
    case malformed(String)

    public var description: String {
        switch self {
        case .schema1:
            return
                "it is a Docker schema 1 manifest, which is deprecated and unsupported; rebuild or re-push the image with a current Docker or buildah (schema 2 or OCI)"
        case .unsupported(let type):
            return "the manifest media type \(type) is not an image or index (supported: \(MediaType.acceptedManifests.joined(separator: ", ")))"
        case .malformed(let reason):
            return reason
        }
    }
}

extension Error {
    /// A one-line description of a decoding error that names the field, for people.
    public var humanDescription: String {
        guard let decoding = self as? DecodingError else { return String(describing: self) }
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
            return keys.isEmpty ? "" : " at \(keys)"
        }
        switch decoding {
        case .keyNotFound(let key, let context): return "missing field \"\(key.stringValue)\"\(path(context))"
        case .typeMismatch(_, let context), .valueNotFound(_, let context): return "\(context.debugDescription)\(path(context))"
        case .dataCorrupted(let context): return "\(context.debugDescription)\(path(context))"
        @unknown default: return String(describing: decoding)
        }
    }
}
