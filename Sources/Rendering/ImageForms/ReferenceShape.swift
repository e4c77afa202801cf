import OCI

/// When a string a chart hands to an operator is an image reference, and when it only looks like
/// one. Every form read by heuristics (arguments, environment variables, ConfigMap values, custom
/// resource fields) goes through these rules; a pod template's `image` field does not, since it
/// is an image by definition.
///
/// Never an image: URLs with a scheme, `host:port` endpoints, file paths, version strings
/// (`v1.2.3`, `1.29`), label and taint values (`node-role.kubernetes.io/master:NoSchedule`),
/// template leftovers (`{{ .Values.x }}`, `${IMAGE}`, `<no value>`), and any reference without a
/// written tag or digest. See docs/adr/0007-discovery-forms.md.
enum ReferenceShape {
    /// No reference is longer than this (name 255, tag 128, digest 71, separators): longer
    /// strings are refused before any other work, however often an alias repeats them.
    static let maximumLength = 512

    /// Taint effects: `key:NoSchedule` is a taint, not a tagged image.
    static let taintEffects: Set<String> = ["NoSchedule", "PreferNoSchedule", "NoExecute"]

    /// Extensions of files that configuration names; a reference ending in one is a path.
    static let fileExtensions: Set<String> = [
        "yaml", "yml", "json", "conf", "cfg", "ini", "toml", "xml", "txt", "log", "sh", "py",
        "js", "html", "pem", "crt", "key", "tar", "gz", "tgz", "zip", "properties",
    ]

    /// True for a key, flag or variable name that names an image: `image`, `*Image`, `*_IMAGE`,
    /// `*-image`, in any case.
    static func nameSaysImage(_ name: String) -> Bool {
        name.utf8.count <= maximumLength && name.lowercased().hasSuffix("image")
    }

    /// A value under a name that says "image": a reference with a written tag or digest, in any
    /// form (`velero/velero:v1.17.1`, `busybox:1.36`, `quay.io/a/b@sha256:…`). Returns the value
    /// trimmed, or nil when it is not an image.
    static func imageNamedByKey(_ value: String) -> String? {
        guard value.utf8.count <= maximumLength else { return nil }
        let text = value.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let first = text.unicodeScalars.first, first.properties.isAlphabetic || ("0"..."9").contains(first),
            !text.contains("://"), let reference = try? ImageReference(parsing: text), hasWrittenTagOrDigest(text)
        else { return nil }
        if !text.contains("/") {
            // A bare name: `redis:7` is an image, `harbor.local:443`, `localhost:5000` and
            // `redis:6379` are endpoints.
            let name = text.prefix { $0 != ":" && $0 != "@" }
            if name.contains(".") || name == "localhost" { return nil }
            if let tag = reference.tag, reference.digest == nil, tag.count >= 4, tag.allSatisfy({ $0.isASCII && $0.isNumber }) { return nil }
        }
        if let tag = reference.tag, taintEffects.contains(tag) { return nil }
        if reference.registry.hasSuffix("kubernetes.io") { return nil }
        if let last = reference.repository.split(separator: "/").last, let dot = last.lastIndex(of: "."),
            fileExtensions.contains(String(last[last.index(after: dot)...]))
        {
            return nil
        }
        return text
    }

    /// A value under any key: a registry-qualified reference — its first path component has a
    /// `.` or a `:port`, or is `localhost` — with a written tag or digest (`quay.io/a/b:v1`).
    static func registryQualifiedImage(_ value: String) -> String? {
        guard let text = imageNamedByKey(value), let slash = text.firstIndex(of: "/") else { return nil }
        let host = text[..<slash]
        return host.contains(".") || host.contains(":") || host == "localhost" ? text : nil
    }

    /// Whether the text writes a tag (a `:` after the last `/`) or a digest (`@`).
    static func hasWrittenTagOrDigest(_ text: String) -> Bool {
        if text.contains("@") { return true }
        let name = text.split(separator: "/").last ?? Substring(text)
        return name.contains(":")
    }
}
