import TarStream

/// Name and version of a packaged chart, read from `CHART/Chart.yaml` inside its `.tgz`.
enum ChartMetadata {
    static func read(_ path: String) -> (name: String?, version: String?) {
        guard let reader = try? TarReader(path: path, strictContainer: false) else { return (nil, nil) }
        while let entry = try? reader.next() {
            let parts = entry.path.split(separator: "/")
            guard parts.count == 2, parts[1] == "Chart.yaml", entry.kind == .regular,
                  let bytes = try? reader.readAll(limit: 1 << 20) else { continue }
            var name: String?, version: String?
            for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") where !line.hasPrefix(" ") {
                let text = line.trimmingCharacters(in: .whitespaces)
                if text.hasPrefix("name:") { name = value(text.dropFirst(5)) }
                if text.hasPrefix("version:") { version = value(text.dropFirst(8)) }
            }
            return (name, version)
        }
        return (nil, nil)
    }

    private static func value(_ raw: Substring) -> String {
        var text = raw.trimmingCharacters(in: .whitespaces)
        if let hash = text.range(of: " #") { text = String(text[..<hash.lowerBound]) }
        return text.trimmingCharacters(in: CharacterSet(charactersIn: "\"' "))
    }
}

import Foundation
