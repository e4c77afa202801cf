/// Images handed to an operator in a container's `args` or `command`:
/// - `--flag=REF`, any flag, where REF has a path and a tag or digest
///   (`--prometheus-config-reloader=quay.io/prometheus-operator/prometheus-config-reloader:v0.73.2`),
///   or any reference when the flag names an image (`--engine-image=longhorn-engine:v1.6.0`);
/// - the two-item form: an item that is a flag naming an image (`--engine-image`,
///   `--csi-provisioner-image`, `-image`) followed by an item that is a reference.
///
/// Shell strings (`sh -c "… --image=x …"`) are not read: what a shell does with them is code.
enum ArgumentImages {
    /// One image found in an argument list: the flag that named it and the reference as written.
    struct Finding: Sendable, Hashable {
        var flag: String
        var reference: String
    }

    static func find(in items: [Any]) -> [Finding] {
        let texts = items.map { $0 as? String }
        var found: [Finding] = []
        var index = 0
        while index < texts.count {
            defer { index += 1 }
            guard let item = texts[index], item.hasPrefix("-"), item.utf8.count <= ReferenceShape.maximumLength else { continue }
            if let equals = item.firstIndex(of: "=") {
                let flag = String(item[..<equals]), value = String(item[item.index(after: equals)...])
                if let reference = imageForFlag(flag, value: value) { found.append(Finding(flag: flag, reference: reference)) }
                continue
            }
            guard ReferenceShape.nameSaysImage(flagName(item)), index + 1 < texts.count, let next = texts[index + 1], !next.hasPrefix("-"),
                let reference = ReferenceShape.imageNamedByKey(next)
            else { continue }
            found.append(Finding(flag: item, reference: reference))
            index += 1
        }
        return found
    }

    /// `--flag=VALUE`: any reference when the flag names an image, else one with a path.
    static func imageForFlag(_ flag: String, value: String) -> String? {
        ReferenceShape.nameSaysImage(flagName(flag)) || value.contains("/") ? ReferenceShape.imageNamedByKey(value) : nil
    }

    /// `--engine-image` → `engine-image`.
    static func flagName(_ flag: String) -> String {
        String(flag.drop { $0 == "-" })
    }
}
