import ChartFormat
/// Reads one rendered Kubernetes document for images:
/// - every pod template's `containers`, `initContainers` and `ephemeralContainers`, at any depth:
///   their `image`, images in `args`/`command` (`ArgumentImages`) and in environment variables
///   whose name contains `IMAGE` (`RELATED_IMAGE_*`, `*_IMAGE`);
/// - in a ConfigMap, its `data` and text `binaryData` (`ConfigMapImages`);
/// - in a custom resource of any kind, the fields below its top level (`ImageFields`: `image`
///   and `*Image` fields, repository/image + tag/version siblings), skipping `enabled: false`.
/// `metadata` and `status` are never read; nor are Secrets.
struct RenderedDocumentReader {
    /// `Kind/name`, the start of every source.
    let owner: String
    /// A Kubernetes kind (Deployment, Service, …) rather than an operator's custom resource.
    let isCoreKind: Bool
    /// True when the document is a Helm test hook.
    let testOnly: Bool
    /// How deep the reader follows nested maps and lists (the loader refuses deeper documents).
    var maximumDepth = BoundedYAML.Limits.renderedManifest.maximumDepth
    private(set) var found: [ImageDiscovery.Found] = []

    static let containerKeys = ["containers", "initContainers", "ephemeralContainers"]

    mutating func read(_ object: [String: Any], kind: String, configMaps: inout ConfigMapImages, warn: (String) -> Void) {
        if kind == "ConfigMap" {
            for finding in configMaps.find(in: object, warn: { warn("\(owner) \($0)") }) {
                add(finding.reference, from: "\(owner) \(finding.location)")
            }
            return
        }
        walk(object, path: [], depth: 0)
    }

    private mutating func add(_ reference: String, from source: String) {
        found.append(ImageDiscovery.Found(reference: reference, source: source, testOnly: testOnly))
    }

    private mutating func walk(_ value: Any, path: [String], depth: Int) {
        guard depth <= maximumDepth else { return }
        if let map = value as? [String: Any] {
            let readsFields = !isCoreKind && !path.isEmpty
            if readsFields, ImageFields.isDisabled(map) { return }
            for key in Self.containerKeys {
                for case let container as [String: Any] in map[key] as? [Any] ?? [] {
                    readContainer(container, label: key == "containers" ? "container" : String(key.dropLast()))
                }
            }
            if readsFields {
                for finding in ImageFields.images(in: map, path: path, anyQualifiedValue: false) {
                    add(finding.reference, from: "\(owner) \(finding.path)")
                }
            }
            for key in map.keys.sorted() {
                guard let child = map[key], child is [String: Any] || child is [Any] else { continue }
                if Self.containerKeys.contains(key), child is [Any] { continue }
                if path.isEmpty, ["metadata", "status"].contains(key) || isCoreKind && ["data", "stringData", "binaryData"].contains(key) {
                    continue
                }
                walk(child, path: path + [key], depth: depth + 1)
            }
        } else if let list = value as? [Any] {
            for (index, child) in list.enumerated() where child is [String: Any] || child is [Any] {
                walk(child, path: path + ["[\(index)]"], depth: depth + 1)
            }
        }
    }

    private mutating func readContainer(_ container: [String: Any], label: String) {
        let prefix = "\(owner) \(label) \(container["name"] as? String ?? "?")"
        if let image = container["image"] as? String, !image.isEmpty { add(image, from: prefix) }
        for field in ["args", "command"] {
            for finding in ArgumentImages.find(in: container[field] as? [Any] ?? []) {
                add(finding.reference, from: "\(prefix) \(field) \(finding.flag)")
            }
        }
        for case let variable as [String: Any] in container["env"] as? [Any] ?? [] {
            guard let name = variable["name"] as? String, name.uppercased().contains("IMAGE"), let value = variable["value"] as? String,
                let reference = ReferenceShape.imageNamedByKey(value)
            else { continue }
            add(reference, from: "\(prefix) env \(name)")
        }
    }
}
