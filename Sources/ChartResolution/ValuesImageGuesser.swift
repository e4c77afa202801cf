import ChartFormat
import Foundation
import Rendering
import TarStream
import Yams

/// The fallback when no `helm` can render: walks the chart's default values and the component's
/// values files for image-shaped settings. These are guesses — computed images are missed — and
/// every source says so.
enum ValuesImageGuesser {
    static func guess(chart: ResolvedChart, valuesFiles: [String]) throws -> [ImageDiscovery.Found] {
        var merged = try defaultValues(chart.archive) ?? [:]
        for file in valuesFiles {
            let text: String
            do { text = String(decoding: try BoundedYAML.readFile(file, limits: .chartValues), as: UTF8.self) } catch {
                throw ChartError(message: "cannot read the values file \(file): \(error)")
            }
            if let values = try valuesMap(text, source: file) { merged = deepMerge(merged, values) }
        }
        var found: [ImageDiscovery.Found] = []
        walk(merged, path: [], appVersion: chart.appVersion, into: &found)
        return found
    }

    private static func defaultValues(_ archive: String) throws -> [String: Any]? {
        let reader = try TarReader(path: archive, strictContainer: false)
        while let entry = try reader.next() {
            let parts = entry.path.split(separator: "/")
            if parts.count == 2, parts[1] == "values.yaml" {
                return try valuesMap(String(decoding: try reader.readAll(limit: 16 << 20), as: UTF8.self), source: "\(archive):\(entry.path)")
            }
        }
        return nil
    }

    /// A values document: a map, or nil when it is empty. Anything else is an error, as it is to Helm.
    private static func valuesMap(_ text: String, source: String) throws -> [String: Any]? {
        let loaded: Any?
        do { loaded = try BoundedYAML.load(text, limits: .chartValues) } catch { throw ChartError(message: "\(source) is not read: \(error)") }
        guard let loaded else { return nil }
        guard let map = loaded as? [String: Any] else { throw ChartError(message: "\(source) is not a map of values") }
        return map
    }

    static func deepMerge(_ base: [String: Any], _ overlay: [String: Any]) -> [String: Any] {
        var result = base
        for (key, value) in overlay {
            if let left = result[key] as? [String: Any], let right = value as? [String: Any] {
                result[key] = deepMerge(left, right)
            } else {
                result[key] = value
            }
        }
        return result
    }

    private static func walk(_ value: Any, path: [String], appVersion: String?, into found: inout [ImageDiscovery.Found]) {
        guard let map = value as? [String: Any] else {
            if let list = value as? [Any] {
                for (i, item) in list.enumerated() { walk(item, path: path + ["[\(i)]"], appVersion: appVersion, into: &found) }
            }
            return
        }
        let source = "values guess: " + (path.isEmpty ? "(top)" : path.joined(separator: "."))
        if let repository = map["repository"] as? String, !repository.isEmpty, map["tag"] != nil || map["digest"] != nil || map["version"] != nil {
            var reference = repository
            if let registry = map["registry"] as? String, !registry.isEmpty { reference = registry + "/" + repository }
            let digest = (map["digest"] as? String).flatMap { $0.isEmpty ? nil : $0 }
            let tag = (map["tag"] ?? map["version"]).map { "\($0)" }.flatMap { $0.isEmpty ? nil : $0 } ?? appVersion
            if let digest { reference += "@" + digest } else if let tag { reference += ":" + tag }
            found.append(ImageDiscovery.Found(reference: reference, source: source, testOnly: false))
        }
        for (key, child) in map {
            if key == "image", let text = child as? String,
                ImageDiscovery.looksLikeImage(text) || (!text.isEmpty && !text.contains(" ") && text.contains(":"))
            {
                found.append(ImageDiscovery.Found(reference: text, source: source + ".image", testOnly: false))
            }
            walk(child, path: path + [key], appVersion: appVersion, into: &found)
        }
    }
}
