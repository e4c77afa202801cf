import Yams

/// Adds `imagePullSecrets: [{name: NAME}]` to each workload's pod spec, after the chart's own, never twice.
enum PodSpecPullSecrets {
    /// Where each kind keeps its pod spec.
    static let podSpecPaths: [String: [String]] = [
        "Pod": ["spec"],
        "PodTemplate": ["template", "spec"],
        "Deployment": ["spec", "template", "spec"],
        "StatefulSet": ["spec", "template", "spec"],
        "DaemonSet": ["spec", "template", "spec"],
        "ReplicaSet": ["spec", "template", "spec"],
        "ReplicationController": ["spec", "template", "spec"],
        "Job": ["spec", "template", "spec"],
        "CronJob": ["spec", "jobTemplate", "spec", "template", "spec"],
    ]

    /// `document` with `name` among its pod spec's `imagePullSecrets`; other documents as they are.
    static func add(_ name: String, to document: Node) -> Node {
        guard case .mapping(let mapping) = document, let kind = value(mapping, "kind")?.string, let path = podSpecPaths[kind] else {
            return document
        }
        return updated(document, path: path[...]) { podSpec in
            guard case .mapping(var spec) = podSpec else { return podSpec }
            var entries: [Node] = []
            if let existing = value(spec, "imagePullSecrets"), case .sequence(let sequence) = existing { entries = Array(sequence) }
            guard !entries.contains(where: { $0.mapping.flatMap { value($0, "name")?.string } == name }) else { return podSpec }
            entries.append(.mapping(Node.Mapping([(Node("name"), Node(name, .implicit, .doubleQuoted))])))
            set(&spec, "imagePullSecrets", .sequence(Node.Sequence(entries)))
            return .mapping(spec)
        }
    }

    private static func updated(_ node: Node, path: ArraySlice<String>, _ change: (Node) -> Node) -> Node {
        guard let key = path.first else { return change(node) }
        guard case .mapping(var mapping) = node, let child = value(mapping, key) else { return node }
        set(&mapping, key, updated(child, path: path.dropFirst(), change))
        return .mapping(mapping)
    }

    private static func value(_ mapping: Node.Mapping, _ key: String) -> Node? {
        mapping.first { $0.key.string == key }?.value
    }

    private static func set(_ mapping: inout Node.Mapping, _ key: String, _ value: Node) {
        var pairs = mapping.map { ($0.key, $0.value) }
        if let index = pairs.firstIndex(where: { $0.0.string == key }) {
            pairs[index].1 = value
        } else {
            pairs.append((Node(key), value))
        }
        mapping = Node.Mapping(pairs, mapping.tag, mapping.style, mapping.mark)
    }
}
