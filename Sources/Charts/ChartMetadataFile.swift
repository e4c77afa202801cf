import Foundation
import TarStream
import Yams

/// The parts of `Chart.yaml` resolution and discovery need.
public struct ChartMetadataFile: Sendable, Decodable {
    public struct Dependency: Sendable, Decodable {
        public var name: String
        public var version: String?
        public var repository: String?
        public var condition: String?
        public var tags: [String]?
        public var alias: String?
    }

    public var name: String
    public var version: String
    public var appVersion: String?
    public var annotations: [String: String]?
    public var dependencies: [Dependency]?

    static func parse(_ text: String, source: String) throws -> ChartMetadataFile {
        do { return try YAMLDecoder().decode(ChartMetadataFile.self, from: text) } catch {
            throw ChartError(message: "\(source): not a valid Chart.yaml: \(error)")
        }
    }

    static func read(directory: String) throws -> ChartMetadataFile {
        let path = directory + "/Chart.yaml"
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw ChartError(message: "cannot read \(path)") }
        return try parse(text, source: path)
    }

    /// Reads `NAME/Chart.yaml` from a chart archive.
    static func read(archive: String) throws -> ChartMetadataFile {
        let reader: TarReader
        do { reader = try TarReader(path: archive, strictContainer: false) } catch { throw ChartError(message: "\(archive) is not a chart archive: \(error)") }
        while let entry = try reader.next() {
            let parts = entry.path.split(separator: "/")
            if parts.count == 2, parts[1] == "Chart.yaml", entry.kind == .regular {
                return try parse(String(decoding: try reader.readAll(limit: 1 << 20), as: UTF8.self), source: "\(archive):\(entry.path)")
            }
        }
        throw ChartError(message: "\(archive) has no Chart.yaml at its top")
    }
}
