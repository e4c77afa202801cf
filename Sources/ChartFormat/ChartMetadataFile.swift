import Foundation
import TarStream
import Yams

/// Why a chart's `Chart.yaml` could not be read.
public struct ChartFormatError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable {
        /// The file or archive could not be read at all (missing, permissions, disk).
        case unreadable
        /// It was read, and is not a chart (no Chart.yaml, invalid YAML, not a tar archive).
        case invalid
    }
    public let kind: Kind
    public let message: String
    public var description: String { message }
}

/// The parts of a chart's `Chart.yaml` that packing, resolution and discovery need: the Helm
/// chart format's own module, so neither the bundle format nor chart resolution imports the
/// other to read it.
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
        do { return try BoundedYAML.decode(ChartMetadataFile.self, from: text, limits: .chartMetadata) } catch {
            throw ChartFormatError(kind: .invalid, message: "\(source): not a valid Chart.yaml: \(error)")
        }
    }

    public static func read(directory: String) throws -> ChartMetadataFile {
        let path = directory + "/Chart.yaml"
        let text: String
        do { text = String(decoding: try BoundedYAML.readFile(path, limits: .chartMetadata), as: UTF8.self) } catch let refusal as BoundedYAML.Refusal
        {
            throw ChartFormatError(kind: .invalid, message: "\(path): not a valid Chart.yaml: \(refusal)")
        } catch {
            throw ChartFormatError(kind: .unreadable, message: "cannot read \(path): \(error.localizedDescription)")
        }
        return try parse(text, source: path)
    }

    /// Reads `NAME/Chart.yaml` from a chart archive.
    public static func read(archive: String) throws -> ChartMetadataFile {
        let reader: TarReader
        do { reader = try TarReader(path: archive, strictContainer: false) } catch let error as ArchiveError where error.kind == .unreadable {
            throw ChartFormatError(kind: .unreadable, message: "cannot read the chart archive \(archive): \(error.message)")
        } catch { throw ChartFormatError(kind: .invalid, message: "\(archive) is not a chart archive: \(error)") }
        do {
            while let entry = try reader.next() {
                let parts = entry.path.split(separator: "/")
                if parts.count == 2, parts[1] == "Chart.yaml", entry.kind == .regular {
                    return try parse(String(decoding: try reader.readAll(limit: 1 << 20), as: UTF8.self), source: "\(archive):\(entry.path)")
                }
            }
        } catch let error as ArchiveError {
            throw ChartFormatError(kind: error.kind == .unreadable ? .unreadable : .invalid, message: "\(archive) is not a chart archive: \(error)")
        }
        throw ChartFormatError(kind: .invalid, message: "\(archive) has no Chart.yaml at its top")
    }
}
