import Bundle
import Foundation
import Integrity
import OCI

/// A directory laid out as an unpacked bundle (see docs/bundle-format.md), ready to pack.
/// Any part may be missing: a directory holding only `images/` is valid.
struct StagedDirectory {
    struct File: Sendable {
        var path: String  // relative, `/`-separated
        var absolutePath: String
        var size: Int64
        var modified: Date
    }

    let root: String
    let files: [File]
    private let byPath: [String: File]

    /// Lists every regular file (sorted by path bytes); refuses links and special files.
    init(root: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw BundleError.usage("\(root): not a directory")
        }
        self.root = root
        var found: [File] = []
        try Self.walk(root, relative: "", into: &found)
        found.sort { Array($0.path.utf8).lexicographicallyPrecedes(Array($1.path.utf8)) }
        for file in found where BundlePaths.computed.contains(file.path) {
            throw BundleError.usage("\(root)/\(file.path): pack computes this file itself; remove it from the staged directory")
        }
        // pack refuses every name verify would refuse, so a packed bundle always verifies.
        for file in found {
            if let problem = EntryNamePolicy.problem(with: file.path) {
                throw BundleError.usage("\(root)/\(file.path): cannot be packed: the file \(problem)")
            }
        }
        if let (first, second) = EntryNamePolicy.firstCollision(in: found.map(\.path)) {
            throw BundleError.usage(
                "\(root): \(first) and \(second) differ only by case or Unicode normalization; sites extract to file systems that would merge them")
        }
        files = found
        byPath = Dictionary(found.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
    }

    private static func walk(_ directory: String, relative: String, into files: inout [File]) throws {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: directory) } catch {
            throw BundleError.io("cannot list \(directory): \(error.localizedDescription)")
        }
        for name in names {
            let absolute = directory + "/" + name
            let path = relative.isEmpty ? name : relative + "/" + name
            // The image layout's ingest area holds only interrupted downloads.
            if path == "images/ingest" { continue }
            let attributes = try FileManager.default.attributesOfItem(atPath: absolute)
            switch attributes[.type] as? FileAttributeType {
            case .typeDirectory?:
                try walk(absolute, relative: path, into: &files)
            case .typeRegular?:
                let size = (attributes[.size] as? NSNumber)?.int64Value ?? 0
                files.append(
                    File(
                        path: path, absolutePath: absolute, size: size,
                        modified: attributes[.modificationDate] as? Date ?? Date(timeIntervalSince1970: 0)))
            default:
                throw BundleError.usage(
                    "\(absolute): only regular files and directories can be packed (this is a \(attributes[.type] as? FileAttributeType ?? .typeUnknown)); copy the file's content instead"
                )
            }
        }
    }

    func file(_ path: String) -> File? { byPath[path] }
}
