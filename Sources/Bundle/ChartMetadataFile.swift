import Foundation
import TarStream
import Yams

/// The parts of a chart's `Chart.yaml` that packing, resolution and discovery need.
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

    public static func parse(_ text: String, source: String) throws -> ChartMetadataFile {
        do { return try YAMLDecoder().decode(ChartMetadataFile.self, from: text) } catch {
            throw BundleError.usage("\(source): not a valid Chart.yaml: \(error)")
        }
    }

    public static func read(directory: String) throws -> ChartMetadataFile {
        let path = directory + "/Chart.yaml"
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw BundleError.io("cannot read \(path): \(error.localizedDescription)")
        }
        return try parse(text, source: path)
    }

    /// Reads `NAME/Chart.yaml` from a chart archive.
    public static func read(archive: String) throws -> ChartMetadataFile {
        let reader: TarReader
        do { reader = try TarReader(path: archive, strictContainer: false) } catch let error as ArchiveError where error.kind == .unreadable {
            throw BundleError.io("cannot read the chart archive \(archive): \(error.message)")
        } catch { throw BundleError.usage("\(archive) is not a chart archive: \(error)") }
        while let entry = try reader.next() {
            let parts = entry.path.split(separator: "/")
            if parts.count == 2, parts[1] == "Chart.yaml", entry.kind == .regular {
                return try parse(String(decoding: try reader.readAll(limit: 1 << 20), as: UTF8.self), source: "\(archive):\(entry.path)")
            }
        }
        throw BundleError.usage("\(archive) has no Chart.yaml at its top")
    }
}
