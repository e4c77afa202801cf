import Foundation

/// Images named by the fields of structured data handed to an operator: a custom resource of any
/// kind, or a YAML/JSON document inside a ConfigMap value. In one map:
/// - `repository` + `image` + `version`/`tag` join to `repository/image:version` (NVIDIA's
///   ClusterPolicy);
/// - `repository` + `tag`/`version`/`digest`, with `registry` if present, join to
///   `registry/repository:tag` (`@digest` when there is one, as Bitnami's helper writes it);
/// - `image` + `tag`/`version` join to `image:tag` when `image` has no tag of its own;
/// - any other field whose name says image (`image`, `*Image`, `*_IMAGE`, `*-image`) holding a
///   reference with a tag or digest (`ReferenceShape.imageNamedByKey`);
/// - in ConfigMap documents only, a registry-qualified reference under any key.
/// A map beside `enabled: false` is a disabled component: it and everything under it is skipped.
enum ImageFields {
    /// One image found, with the dotted path of the field (or joined map) that named it.
    struct Finding: Sendable, Hashable {
        var reference: String
        var path: String
    }

    /// Whether `map` says `enabled: false` (or the string `"false"`).
    static func isDisabled(_ map: [String: Any]) -> Bool {
        if let flag = map["enabled"] as? Bool { return !flag }
        return (map["enabled"] as? String)?.lowercased() == "false"
    }

    /// The images named by `map`'s own fields (its children maps and lists are not read here).
    static func images(in map: [String: Any], path: [String], anyQualifiedValue: Bool) -> [Finding] {
        var found: [Finding] = []
        var joined: Set<String> = []
        if let reference = joinedReference(map, consumed: &joined) { found.append(Finding(reference: reference, path: render(path))) }
        for key in map.keys.sorted() where !joined.contains(key) {
            guard let text = map[key] as? String else { continue }
            if ReferenceShape.nameSaysImage(key), let reference = ReferenceShape.imageNamedByKey(text) {
                found.append(Finding(reference: reference, path: render(path + [key])))
            } else if anyQualifiedValue, let reference = ReferenceShape.registryQualifiedImage(text) {
                found.append(Finding(reference: reference, path: render(path + [key])))
            }
        }
        return found
    }

    /// Walks a whole document (a ConfigMap value), depth-first, skipping disabled maps. The
    /// document was loaded within `BoundedYAML`'s depth limit; `maximumDepth` guards our own
    /// recursion all the same.
    static func walk(_ value: Any, path: [String] = [], depth: Int = 0, maximumDepth: Int, anyQualifiedValue: Bool, into found: inout [Finding]) {
        guard depth <= maximumDepth else { return }
        if let map = value as? [String: Any] {
            if isDisabled(map) { return }
            found += images(in: map, path: path, anyQualifiedValue: anyQualifiedValue)
            for key in map.keys.sorted() where map[key] is [String: Any] || map[key] is [Any] {
                walk(map[key]!, path: path + [key], depth: depth + 1, maximumDepth: maximumDepth, anyQualifiedValue: anyQualifiedValue, into: &found)
            }
        } else if let list = value as? [Any] {
            for (index, item) in list.enumerated() {
                if anyQualifiedValue, let text = item as? String, let reference = ReferenceShape.registryQualifiedImage(text) {
                    found.append(Finding(reference: reference, path: render(path + ["[\(index)]"])))
                } else if item is [String: Any] || item is [Any] {
                    walk(
                        item, path: path + ["[\(index)]"], depth: depth + 1, maximumDepth: maximumDepth, anyQualifiedValue: anyQualifiedValue,
                        into: &found)
                }
            }
        }
    }

    /// `a.b[0].c` from `["a", "b", "[0]", "c"]`.
    static func render(_ path: [String]) -> String {
        path.reduce("") { $0.isEmpty || $1.hasPrefix("[") ? $0 + $1 : $0 + "." + $1 }
    }

    /// A reference joined from sibling fields, and the keys it used.
    private static func joinedReference(_ map: [String: Any], consumed: inout Set<String>) -> String? {
        func field(_ key: String) -> String? {
            guard let text = map[key] as? String else { return nil }
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            return trimmed.isEmpty || trimmed.utf8.count > ReferenceShape.maximumLength ? nil : trimmed
        }
        let tagKey = field("tag") != nil ? "tag" : "version"
        let tag = field(tagKey)
        var candidate: String?
        var keys: Set<String> = []
        if let repository = field("repository"), let image = field("image"), let tag {
            candidate = "\(repository)/\(image)\(tag.hasPrefix("sha256:") ? "@" : ":")\(tag)"
            keys = ["repository", "image", tagKey]
        } else if let repository = field("repository"), tag != nil || field("digest") != nil {
            candidate = join(registry: field("registry"), name: repository, tag: tag, digest: field("digest"))
            keys = ["repository", "registry", "digest", tagKey]
        } else if let image = field("image"), let tag, !ReferenceShape.hasWrittenTagOrDigest(image) {
            candidate = join(registry: field("registry"), name: image, tag: tag, digest: field("digest"))
            keys = ["image", "registry", "digest", tagKey]
        }
        guard let candidate, let reference = ReferenceShape.imageNamedByKey(candidate) else { return nil }
        consumed = keys
        return reference
    }

    private static func join(registry: String?, name: String, tag: String?, digest: String?) -> String {
        let base = registry.map { "\($0)/\(name)" } ?? name
        if let digest { return "\(base)@\(digest)" }
        return "\(base)\(tag.map { ($0.hasPrefix("sha256:") ? "@" : ":") + $0 } ?? "")"
    }
}
